/**
 * @module core/account-index
 * Accounts by id, as most components look them up. The index is built once per accounts array
 * and shared: at 10,000 accounts each Map costs about 0.45 MB, and a dozen components held one
 * each (issue 11). Read-only; a configuration reload changes the account objects in place, so
 * the index stays right. A component that replaces its accounts keeps a map of its own.
 */
import type { ConfiguredAccount } from './account.js';

const indexes = new WeakMap<readonly ConfiguredAccount[], ReadonlyMap<string, ConfiguredAccount>>();

export function accountsById<T extends ConfiguredAccount>(accounts: readonly T[]): ReadonlyMap<string, T> {
  let index = indexes.get(accounts);
  if (index === undefined) {
    index = new Map(accounts.map((account) => [account.id, account]));
    indexes.set(accounts, index);
  }
  return index as ReadonlyMap<string, T>;
}
