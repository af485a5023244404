/** The repository's root: the build context of the image and the directory of compose.yaml. */
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
