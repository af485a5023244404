#!/bin/bash -v
# Prints what a job sees: its environment, the credentials directory HTCondor made for it, and every token file in it.
set -e
env | sort
echo "_CONDOR_CREDS=${_CONDOR_CREDS:-}"
ls -l "$_CONDOR_CREDS"
for f in "$_CONDOR_CREDS"/*; do
  echo "==> $f <=="
  cat "$f"
  echo
done
