// The trace dictionary (tests/fuzz/trace.dict) names every command of the table, so that
// a command added to cmd.c reaches the fuzzer's dictionary too.
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "sv39sim/cli/cmd.h"

// Whether the dictionary holds the entry "word" (quotes included).
static bool dict_has(const char *dict, const char *word) {
  char quoted[64];
  snprintf(quoted, sizeof(quoted), "\"%s\"", word);
  return strstr(dict, quoted) != NULL;
}

// The dictionary's text (a static buffer).
static char *read_dict(void) {
  FILE *f = fopen(FUZZ_DICT, "r");
  cr_assert_not_null(f, "cannot open %s", FUZZ_DICT);
  static char text[65536];
  size_t n = fread(text, 1, sizeof(text) - 1, f);
  fclose(f);
  text[n] = '\0';
  return text;
}

Test(fuzz_dict, every_command_in_the_table_is_in_the_trace_dictionary) {
  const char *dict = read_dict();
  size_t n;
  const struct cmd_def *t = cmd_table(&n);
  cr_assert_gt(n, 30, "the command table has %zu rows", n);
  for (size_t i = 0; i < n; i++)
    cr_expect(dict_has(dict, t[i].name), "command '%s' is missing from %s", t[i].name,
              FUZZ_DICT);
}

Test(fuzz_dict, a_word_not_in_the_dictionary_is_reported_missing) {
  const char *dict = read_dict();
  cr_assert(dict_has(dict, "boot"), "'boot' not found in %s", FUZZ_DICT);
  cr_assert_not(dict_has(dict, "no-such-command"), "the check finds words that are not there");
  cr_assert_not(dict_has(dict, "boo"), "a prefix of an entry counts as an entry");
}
