#ifndef SV39SIM_REPL_H
#define SV39SIM_REPL_H
#include "sv39sim/cli/cmd.h"

// The interactive prompt on a terminal. Returns when the user leaves (Ctrl-D or quit).
void repl_run(struct session *s);

#endif
