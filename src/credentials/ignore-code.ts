/** A catch handler that lets one error code pass (a file already gone, a directory already there). */
export function ignoreCode(code: string): (error: NodeJS.ErrnoException) => void {
  return (error) => {
    if (error.code !== code) throw error;
  };
}
