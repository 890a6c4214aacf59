// ANSI colours for terminal output. The caller decides whether colour is on (a terminal,
// NO_COLOR unset); off, every sequence is empty so callers need no second code path.
#include "sv39sim/view/render.h"

const char *render_sgr(bool color, enum render_hue hue) {
  static const char *const seq[] = {
      [HUE_RESET] = "\033[0m", [HUE_READ] = "\033[32m",    [HUE_WRITE] = "\033[33m",
      [HUE_EXEC] = "\033[35m", [HUE_USER] = "\033[36m",    [HUE_DIM] = "\033[2m",
      [HUE_FAULT] = "\033[1;33m", [HUE_PANIC] = "\033[1;31m", [HUE_ERROR] = "\033[31m",
  };
  if (!color || (unsigned)hue >= sizeof(seq) / sizeof(seq[0]))
    return "";
  return seq[hue];
}
