/** Rows our server has inserted, updated or deleted so far (its idp_db_rows_written_total). */
export async function rowsWritten(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return Number(/idp_db_rows_written_total (\d+)/.exec(text)?.[1] ?? 0);
}
