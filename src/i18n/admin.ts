// Strings of the organisation administration pages and admin errors (ja/en).
import { adminPagesEn, adminPagesJa } from './admin-pages.js';

export const adminEn = {
  ...adminPagesEn,
  'admin.error.userNotFound': 'The user was not found.',
  'admin.error.orgNotFound': 'The organisation was not found.',
  'admin.error.invalid': 'This entry is not valid: {detail}',
  'admin.error.usernameTaken': 'A user with this user ID already exists.',
  'admin.error.ownAccount': 'You cannot do this to your own account.',
  'admin.error.forbidden': 'This page is for administrators of the organisation.',
  'admin.error.unauthenticated': 'Please sign in.',
} as const;

export const adminJa: Record<keyof typeof adminEn, string> = {
  ...adminPagesJa,
  'admin.error.userNotFound': 'ユーザーが見つかりません。',
  'admin.error.orgNotFound': '組織が見つかりません。',
  'admin.error.invalid': '入力内容が正しくありません：{detail}',
  'admin.error.usernameTaken': 'このユーザーIDは既に使われています。',
  'admin.error.ownAccount': 'ご自身のアカウントにはこの操作はできません。',
  'admin.error.forbidden': 'このページは組織の管理者専用です。',
  'admin.error.unauthenticated': 'ログインしてください。',
};
