/*
 * Reading YAML configuration files, shared by vigild, vigil-sensor and
 * vigil-agent: the bounded read, the UTF-8 check, libfyaml with its
 * diagnostics captured (never printed), and node line numbers for messages.
 * conf/keys.h applies a document to a struct through a table of keys.
 */
#ifndef VIGIL_CONF_YAML_H
#define VIGIL_CONF_YAML_H

#include <libfyaml.h>

#include "base/common.h"
#include "base/err.h"

/* Read a configuration file of at most max bytes. -EFBIG or -errno, with err
 * naming the file. */
int yaml_read_file(const char *path, size_t max, char **ret, size_t *ret_len, struct verr *err) WUR;

/* Parse (text, len) named name. Returns 0 with *ret_doc (NULL when the text
 * is empty or only comments; else the caller destroys it), or -EINVAL with
 * err "name:LINE: YAML syntax: ..." or "name: not UTF-8 text". */
int yaml_parse(const char *name, const char *text, size_t len, struct fy_document **ret_doc,
               struct verr *err) WUR;

/* 1-based line of a node (its first scalar for collections), 0 unknown. */
int yaml_node_line(struct fy_node *n);

#endif
