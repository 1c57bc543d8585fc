import type { Knex } from 'knex';

interface BackupCodeRow {
  id?: number;
  user_id: string;
  code_hash: string;
  used_at: number | null;
  created_at: number;
}

export type BackupCodeRepository = ReturnType<typeof createBackupCodeRepository>;

export function createBackupCodeRepository(knex: Knex) {
  const table = (trx: Knex = knex) => trx<BackupCodeRow>('backup_codes');
  return {
    /** A new set replaces the old one whole: old codes stop working at once. */
    async replaceForUser(userId: string, hashes: string[]): Promise<void> {
      await knex.transaction(async (trx) => {
        await table(trx).where({ user_id: userId }).delete();
        const now = Date.now();
        await table(trx).insert(hashes.map((code_hash) => ({ user_id: userId, code_hash, used_at: null, created_at: now })));
      });
    },
    async listUnused(userId: string): Promise<{ id: number; codeHash: string }[]> {
      const rows = await table().where({ user_id: userId }).whereNull('used_at').orderBy('id');
      return rows.map((r) => ({ id: Number(r.id), codeHash: r.code_hash }));
    },
    async countUnused(userId: string): Promise<number> {
      const [{ c }] = (await table().where({ user_id: userId }).whereNull('used_at').count({ c: '*' })) as [{ c: number | string }];
      return Number(c);
    },
    async hasAny(userId: string): Promise<boolean> {
      return Boolean(await table().where({ user_id: userId }).first());
    },
    /** Marks a code used only if it was unused: two racing uses, one success. */
    async use(id: number): Promise<boolean> {
      return (await table().where({ id }).whereNull('used_at').update({ used_at: Date.now() })) === 1;
    },
    async removeAllForUser(userId: string, trx: Knex = knex): Promise<number> {
      return table(trx).where({ user_id: userId }).delete();
    },
  };
}
