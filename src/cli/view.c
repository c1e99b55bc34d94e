/* Showing API objects for people (see view.h). */
#include "cli/view.h"

const char *view_text(const json_t *obj, const struct view_field *f, char out[VIEW_CELL_MAX])
{
    const json_t *o = f->in ? json_object_get(obj, f->in) : obj;
    switch (f->fmt) {
    case VIEW_TIME:
        return jtime(o, f->key, out);
    case VIEW_WORD:
        return cli_word(json_string_value(json_object_get(o, f->key)));
    case VIEW_NAMED:
        snprintf(out, VIEW_CELL_MAX, "%s (%s)", jstr(o, f->key), jstr(o, f->id));
        return out;
    case VIEW_TEXT:
        break;
    }
    /* 1024 bytes, as jstr keeps. */
    return jtext(o, f->key, out, 1024);
}

void view_add_fields(struct table *t, const json_t *obj, const struct view_field *f, size_t n)
{
    char tmp[VIEW_CELL_MAX];
    for (size_t i = 0; i < n; i++)
        table_add_kv(t, cli_tr(f[i].label), view_text(obj, &f[i], tmp));
}

int view_table_done(struct table *t)
{
    int r = table_print(t);
    table_release(t);
    if (r < 0) {
        cli_err("%s", _("cannot write to standard output"));
        return CLI_EXIT_SERVER;
    }
    return CLI_EXIT_OK;
}

int view_print_fields(const json_t *obj, const struct view_field *f, size_t n)
{
    struct table t;
    table_init(&t, 2, NULL);
    view_add_fields(&t, obj, f, n);
    return view_table_done(&t);
}

int view_print_items(const json_t *items, const struct view_field *cols, size_t n_cols,
                     void (*row)(struct table *t, const json_t *item))
{
    const char *labels[TABLE_MAX_COLS];
    char tmp[TABLE_MAX_COLS][VIEW_CELL_MAX];
    const char *cells[TABLE_MAX_COLS];
    n_cols = MIN(n_cols, (size_t)TABLE_MAX_COLS);
    for (size_t k = 0; k < n_cols; k++)
        labels[k] = cli_tr(cols[k].label);
    struct table t;
    table_init(&t, n_cols, labels);
    size_t i;
    const json_t *item;
    json_array_foreach(items, i, item)
    {
        if (row) {
            row(&t, item);
            continue;
        }
        for (size_t k = 0; k < n_cols; k++)
            cells[k] = view_text(item, &cols[k], tmp[k]);
        table_add(&t, cells);
    }
    return view_table_done(&t);
}

int view_list(struct cli *c, const char *target, const struct view_field *cols, size_t n_cols,
              void (*row)(struct table *t, const json_t *item))
{
    struct api_call a;
    api_call_init(&a, "GET", target);
    json_t *res;
    int r = api_do(c, &a, &res);
    if (r != 0)
        return r;
    if (c->json)
        r = cli_print_json(res);
    else
        r = view_print_items(json_object_get(res, "items"), cols, n_cols, row);
    json_decref(res);
    return r;
}

int view_list_cmd(struct cli *c, const char *noun, void (*usage)(FILE *), int argc, char **argv,
                  const char *target, const struct view_field *cols, size_t n_cols)
{
    struct arg_opt opts[] = {CLI_COMMON_OPTS(c)};
    const char *pos[1];
    int r = cli_args(c, noun, usage, argc, argv, opts, ARRAY_SIZE(opts), pos, 0, 0, "");
    if (r != CLI_GO)
        return r;
    return view_list(c, target, cols, n_cols, NULL);
}
