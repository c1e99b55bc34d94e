/*
 * Showing API objects for people. A list of fields says where each value
 * of an object comes from and how it reads; the same list gives the
 * key: value view of one object or the columns of a table of many.
 *
 *   static const struct view_field unit_fields[] = {
 *       {N_("col|ID"), "id"},
 *       {N_("col|Created"), "created_at", VIEW_TIME},
 *   };
 *   view_print_fields(u, unit_fields, ARRAY_SIZE(unit_fields));
 */
#ifndef VIGIL_CLI_VIEW_H
#define VIGIL_CLI_VIEW_H

#include "cli/cli.h"
#include "cli/table.h"

/* Room for one value: two jtext values of 1023 bytes cut to fit. */
#define VIEW_CELL_MAX 1100

enum view_fmt {
    VIEW_TEXT,  /* as jtext: numbers in decimal, arrays joined, null as "-" */
    VIEW_TIME,  /* an RFC 3339 time, as jtime */
    VIEW_WORD,  /* an API word for people, as cli_word */
    VIEW_NAMED, /* "name (id)": key is the name, id the member with the id */
};

struct view_field {
    const char *label; /* msgid "col|Name", shown through cli_tr */
    const char *key;   /* the member holding the value */
    enum view_fmt fmt;
    const char *in; /* NULL, or the member object that holds key ("details") */
    const char *id; /* VIEW_NAMED: the member holding the id */
};

/* The text of field f of obj; it may live in out. */
const char *view_text(const json_t *obj, const struct view_field *f, char out[VIEW_CELL_MAX]);

/* Add a key: value row for each of the n fields of obj to a two-column table. */
void view_add_fields(struct table *t, const json_t *obj, const struct view_field *f, size_t n);

/* Print t to stdout and release it. Returns 0, or 3 after saying that
 * stdout cannot be written. */
int view_table_done(struct table *t);

/* Print the key: value view of obj's fields. Returns as view_table_done. */
int view_print_fields(const json_t *obj, const struct view_field *f, size_t n);

/* Print a table of items (a JSON array) under the labels of cols (1 to
 * TABLE_MAX_COLS), a row per item: its fields, or what row adds when row
 * is not NULL. Returns as view_table_done. */
int view_print_items(const json_t *items, const struct view_field *cols, size_t n_cols,
                     void (*row)(struct table *t, const json_t *item));

/* `vigil NOUN list`: GET target; with --json print the answer, else
 * view_print_items of its "items". Returns the exit code. */
int view_list(struct cli *c, const char *target, const struct view_field *cols, size_t n_cols,
              void (*row)(struct table *t, const json_t *item));

/* `vigil NOUN list` with only the common options (parsed as cli_args):
 * view_list of target. Returns the exit code. */
int view_list_cmd(struct cli *c, const char *noun, void (*usage)(FILE *), int argc, char **argv,
                  const char *target, const struct view_field *cols, size_t n_cols);

#endif
