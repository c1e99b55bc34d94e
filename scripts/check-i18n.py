#!/usr/bin/env python3
"""Every _("...") and N_("...") string in src/ must have a Vietnamese entry in po/*.po,
and so must a literal format given to reply_problem() (it translates its format).

Prints each missing msgid with file and line, exits 1 if any is missing.
"""
import os
import re
import sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(root, 'scripts'))

# Reuse the catalog parser of po2c.py without running its main().
src = open(os.path.join(root, 'scripts', 'po2c.py'), encoding='utf-8').read()
src = src[:src.rindex('\nmain()')]
ns = {}
exec(compile(src, 'po2c.py', 'exec'), ns)

known = {}
for name in sorted(os.listdir(os.path.join(root, 'po'))):
    if name.endswith('.po'):
        known.update(ns['parse'](os.path.join(root, 'po', name)))

# _("a" "b") concatenations are joined; escapes as in C for the common ones.
call = re.compile(r'\bN?_\(\s*((?:"(?:[^"\\\n]|\\.)*"\s*)+)\)')
# reply_problem(r, status, NULL, "format", ...): the format is looked up in the catalog.
problem = re.compile(r'\breply_problem\(\s*\w+\s*,\s*\w+\s*,\s*NULL\s*,\s*((?:"(?:[^"\\\n]|\\.)*"\s*)+)[,)]')
piece = re.compile(r'"((?:[^"\\\n]|\\.)*)"')
esc = {'n': '\n', 't': '\t', '"': '"', '\\': '\\', "'": "'"}


def unescape(s):
    out, i = [], 0
    while i < len(s):
        if s[i] == '\\' and i + 1 < len(s):
            out.append(esc.get(s[i + 1], '\\' + s[i + 1]))
            i += 2
        else:
            out.append(s[i])
            i += 1
    return ''.join(out)


missing = 0
count = 0
for dirpath, _, files in os.walk(os.path.join(root, 'src')):
    for f in sorted(files):
        if not f.endswith(('.c', '.h')):
            continue
        path = os.path.join(dirpath, f)
        text = open(path, encoding='utf-8').read()
        for m in [*call.finditer(text), *problem.finditer(text)]:
            msgid = unescape(''.join(piece.findall(m.group(1))))
            if msgid == '%s':
                continue
            count += 1
            if msgid not in known:
                line = text.count('\n', 0, m.start()) + 1
                print(f"{os.path.relpath(path, root)}:{line}: no Vietnamese for {msgid!r}")
                missing += 1
print(f"i18n: {count} messages, {missing} without Vietnamese")
sys.exit(1 if missing else 0)
