import type { Context } from 'koa';
import { h } from 'preact';
import { type InteractionDeps, type LoadedFlow, advance, flowUser, pageFor, redirectToStep, stepUrl } from '../flow.js';
import { sendPage } from '../respond.js';
import { BackupCodesPage, backupCodesText } from '../views/backup-codes.js';

const sealContext = (uid: string) => `backup-codes:${uid}`;

/**
 * Issues the codes once, on the first view of this step, and keeps them sealed in the
 * flow so a reload or the download shows the same set until the user confirms.
 */
async function codesOfFlow(deps: InteractionDeps, loaded: LoadedFlow): Promise<string[]> {
  const { user, org } = await flowUser(deps, loaded);
  const { box } = deps.services;
  if (loaded.flow.data.backupCodesSealed) {
    return JSON.parse(box.open(loaded.flow.data.backupCodesSealed, sealContext(loaded.uid))) as string[];
  }
  const codes = await deps.services.secondFactors.issueBackupCodes(user);
  const sealed = box.seal(JSON.stringify(codes), sealContext(loaded.uid));
  const saved = await deps.services.repos.flows.advance(loaded.uid, 'backup_codes', {
    state: 'backup_codes',
    orgId: org.id,
    userId: user.id,
    data: { ...loaded.flow.data, backupCodesSealed: sealed },
  });
  if (!saved) throw new Error('flow moved while issuing backup codes');
  return codes;
}

export async function showBackupCodes(ctx: Context, deps: InteractionDeps, loaded: LoadedFlow, status = 200, error?: string) {
  const { user } = await flowUser(deps, loaded);
  const codes = await codesOfFlow(deps, loaded);
  sendPage(
    ctx,
    status,
    h(BackupCodesPage, {
      page: pageFor(ctx, loaded, user.locale),
      csrf: deps.csrf.tokenFor(loaded.uid),
      action: stepUrl(loaded.uid, 'backup-codes'),
      downloadUrl: stepUrl(loaded.uid, 'backup-codes.txt'),
      codes,
      error,
    }),
  );
}

export async function downloadBackupCodes(ctx: Context, deps: InteractionDeps, loaded: LoadedFlow) {
  const { user, org } = await flowUser(deps, loaded);
  const { t } = pageFor(ctx, loaded, user.locale);
  const codes = await codesOfFlow(deps, loaded);
  ctx.set('content-disposition', 'attachment; filename="backup-codes.txt"');
  ctx.set('cache-control', 'no-store');
  ctx.type = 'text/plain; charset=utf-8';
  ctx.body = backupCodesText(t('backup.fileHeader', { account: `${org.code} / ${user.username}` }), codes);
}

export async function acknowledgeBackupCodes(ctx: Context, deps: InteractionDeps, loaded: LoadedFlow, body: Record<string, string>) {
  const { user, org } = await flowUser(deps, loaded);
  if (!loaded.flow.data.backupCodesSealed) return redirectToStep(ctx, loaded.uid);
  if (body.saved !== 'yes') {
    const { t } = pageFor(ctx, loaded, user.locale);
    return showBackupCodes(ctx, deps, loaded, 400, t('backup.ackRequired'));
  }
  const { backupCodesSealed: _shown, ...rest } = loaded.flow.data;
  await advance(ctx, deps, loaded, 'backup_codes', { user, org, data: { ...rest, backupCodesShown: true } });
}
