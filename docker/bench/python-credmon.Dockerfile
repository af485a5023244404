# BENCHMARK ONLY, never shipped: the sandbox image with HTCondor's own Python credmon (Debian's `condor` package ships
# /usr/sbin/condor_credmon_oauth and /usr/libexec/condor/credmon/) as CREDMON_OAUTH instead of ours, so
# test/bench/container.bench.ts can measure both in the same container setup. See docs/bench/README.md.
#
# Debian has no python3-scitokens: the pure-Python scitokens library (github.com/scitokens/scitokens) is not in this
# image. Mount its src/ directory read-only at /opt/scitokens/src at run time (the harness does this from
# PYTHON_SCITOKENS_DIR); a .pth file puts that directory on every Python's sys.path.
#
#   docker build -f docker/bench/python-credmon.Dockerfile --build-arg SANDBOX_IMAGE=credmon-sandbox:pybench \
#     -t credmon-sandbox:pybench-python .
ARG SANDBOX_IMAGE=credmon-sandbox:pybench
FROM ${SANDBOX_IMAGE}

# What upstream's credmon and the scitokens library import beyond the base image (python3-cryptography, -requests
# and the htcondor bindings come with Debian's condor package already; listed anyway so they stay installed).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      python3-jwt python3-six python3-requests-oauthlib python3-cryptography python3-requests \
 && rm -rf /var/lib/apt/lists/*
RUN printf '%s\n' /opt/scitokens/src > /usr/lib/python3/dist-packages/zz-credmon-bench-scitokens.pth

# After the entrypoint's 60-sandbox-runtime.conf, so it wins: condor_master starts the Python credmon.
COPY docker/bench/99-python-credmon.conf /etc/condor/config.d/99-python-credmon.conf
