import type { Knex } from 'knex';
import { type Organisation, type OrgSettings, normaliseOrgCode, orgSettingsSchema } from '../model.js';
import { randomId } from '../util/ids.js';
import { selectRows } from './raw.js';

export interface OrgRow {
  id: string;
  code: string;
  name: string;
  settings: string;
  created_at: number;
  updated_at: number;
}

/** Parsed settings by their stored JSON: every userinfo and sign-in reads its organisation. */
const parsedSettings = new Map<string, OrgSettings>();

function settingsOf(json: string): OrgSettings {
  let settings = parsedSettings.get(json);
  if (!settings) {
    // frozen: one parsed object is shared by every reader of the same settings
    settings = deepFreeze(orgSettingsSchema.parse(JSON.parse(json)));
    if (parsedSettings.size >= 1000) parsedSettings.delete(parsedSettings.keys().next().value!);
    parsedSettings.set(json, settings);
  }
  return settings;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

export function toOrg(row: OrgRow): Organisation {
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    settings: settingsOf(row.settings),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

export type OrgRepository = ReturnType<typeof createOrgRepository>;

export function createOrgRepository(knex: Knex) {
  const table = () => knex<OrgRow>('organisations');
  return {
    async create(input: { code: string; name: string; settings: Partial<OrgSettings> }): Promise<Organisation> {
      const now = Date.now();
      const row: OrgRow = {
        id: randomId(),
        code: normaliseOrgCode(input.code),
        name: input.name,
        settings: JSON.stringify(orgSettingsSchema.parse(input.settings)),
        created_at: now,
        updated_at: now,
      };
      await table().insert(row);
      return toOrg(row);
    },
    async findByCode(code: string): Promise<Organisation | undefined> {
      const [row] = await selectRows<OrgRow>(knex, 'select * from organisations where code = ?', [normaliseOrgCode(code)]);
      return row && toOrg(row);
    },
    async findById(id: string): Promise<Organisation | undefined> {
      const [row] = await selectRows<OrgRow>(knex, 'select * from organisations where id = ?', [id]);
      return row && toOrg(row);
    },
    async list(): Promise<Organisation[]> {
      return (await table().orderBy('code')).map(toOrg);
    },
    /** The organisation when exactly one exists (reads at most two rows, whatever the total). */
    async sole(): Promise<Organisation | undefined> {
      const rows = await table().orderBy('code').limit(2);
      return rows.length === 1 ? toOrg(rows[0]!) : undefined;
    },
    async count(): Promise<number> {
      const [{ n }] = (await table().count({ n: '*' })) as [{ n: number | string }];
      return Number(n);
    },
    async update(id: string, changes: { name?: string; settings?: OrgSettings }): Promise<void> {
      const patch: Partial<OrgRow> = { updated_at: Date.now() };
      if (changes.name !== undefined) patch.name = changes.name;
      if (changes.settings !== undefined) patch.settings = JSON.stringify(orgSettingsSchema.parse(changes.settings));
      await table().where({ id }).update(patch);
    },
  };
}
