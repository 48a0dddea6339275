import { useState, type ReactNode } from 'react';
import { Status, useApi } from './useApi';

export interface Column<T> {
  header: string;
  cell: (row: T) => ReactNode;
}

interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * A keyset-paged list of the engine (`items` + `nextCursor`): one page at a time however long the list (100,000 rows
 * cost what 50 do), with Next and Previous, and loading, empty and error states in words.
 */
export function PagedTable<T>({ caption, path, columns, rowKey, empty }: { caption: string; path: string; columns: Column<T>[]; rowKey: (row: T) => string; empty: string }) {
  /** The cursor of each page shown so far: [first page (none), second, ...]. */
  const [paging, setPaging] = useState<{ path: string; cursors: (string | null)[] }>({ path, cursors: [null] });
  // Another list (a filter or sort changed) starts at its first page; a cursor belongs to the list that gave it.
  const cursors = paging.path === path ? paging.cursors : [null];
  const setCursors = (change: (shown: (string | null)[]) => (string | null)[]) => setPaging({ path, cursors: change(cursors) });
  const cursor = cursors[cursors.length - 1];
  const page = useApi<Page<T>>(cursor ? `${path}${path.includes('?') ? '&' : '?'}cursor=${encodeURIComponent(cursor)}` : path);
  const rows = page.data?.items ?? [];
  return (
    <div className="paged">
      <Status loaded={page} empty={empty} isEmpty={page.data !== null && rows.length === 0} />
      {rows.length > 0 && (
        <table aria-busy={page.loading}>
          <caption className="visually-hidden">{caption}</caption>
          <thead>
            <tr>
              {columns.map((column) => (
                <th key={column.header} scope="col">
                  {column.header}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={rowKey(row)}>
                {columns.map((column) => (
                  <td key={column.header}>{column.cell(row)}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <nav className="pager" aria-label={`${caption}: pages`}>
        <button type="button" disabled={cursors.length === 1 || page.loading} onClick={() => setCursors((shown) => shown.slice(0, -1))}>
          Previous
        </button>
        <span>Page {cursors.length}</span>
        <button type="button" disabled={!page.data?.nextCursor || page.loading} onClick={() => setCursors((shown) => [...shown, page.data!.nextCursor])}>
          Next
        </button>
      </nav>
    </div>
  );
}
