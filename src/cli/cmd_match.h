/* `vigil match`: offline matching of text against an IP list, like grepcidr -f. */
#ifndef VIGIL_CLI_CMD_MATCH_H
#define VIGIL_CLI_CMD_MATCH_H

/*
 * vigil match --list LISTFILE [-c] [-v] [--json] [FILE...]
 * argv[0] is "match". Prints the lines of each FILE (stdin when none, or
 * "-") holding an address inside the list, exactly as `grepcidr -f LISTFILE`
 * does. Returns the exit status: 0 something printed or counted, 1 nothing,
 * 2 usage or input error.
 */
int cmd_match(int argc, char **argv);

#endif
