/*
 * Aligned text tables for people: columns padded to the widest cell,
 * widths counted in terminal columns of UTF-8 text (Vietnamese letters are
 * one column however many bytes they take). Cells are sanitised: control
 * characters a server or feed could smuggle in (terminal escapes, newlines)
 * are shown as '?'.
 *
 *   struct table t;
 *   table_init(&t, 3, (const char *[]){"ID", "Tên", "Cấp độ"});
 *   table_add(&t, (const char *[]){"1", "Hệ thống", "3"});
 *   table_render(&t, &out);
 *   table_release(&t);
 *
 * With headers NULL the table has no header row (a key: value view).
 */
#ifndef VIGIL_CLI_TABLE_H
#define VIGIL_CLI_TABLE_H

#include "base/buf.h"
#include "base/common.h"

#define TABLE_MAX_COLS 16

struct table {
    size_t n_cols;
    char *headers[TABLE_MAX_COLS]; /* owned copies; all NULL for no header row */
    char **cells;                  /* n_rows * n_cols owned, sanitised copies */
    size_t n_rows;
    size_t alloc_rows;
    const char *sep; /* between columns; default two spaces */
};

/* Display width of the UTF-8 string s: code points, except that combining
 * marks (U+0300..U+036F, as in decomposed Vietnamese) take no column. A
 * malformed byte counts as one column. */
size_t utf8_width(const char *s);

/* Start a table of n_cols (1..TABLE_MAX_COLS) columns. headers may be NULL. */
void table_init(struct table *t, size_t n_cols, const char *const *headers);
/* Append a row of n_cols strings (NULL cells print as "-"). */
void table_add(struct table *t, const char *const *cells);
/* Append a key: value row to a two-column table (the key gets a ':'). */
void table_add_kv(struct table *t, const char *key, const char *value);
/* Render to out: header, a dashed rule under it, then the rows; cells
 * left-aligned, no trailing spaces, each line ending in '\n'. */
int table_render(const struct table *t, struct buf *out) WUR;
/* Render and write to stdout. Returns 0 or -errno. */
int table_print(const struct table *t);
void table_release(struct table *t);

#endif
