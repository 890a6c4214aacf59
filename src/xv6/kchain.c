#include "sv39sim/xv6/kchain.h"

#include <string.h>

#include "sv39sim/xv6/machine.h"

struct kframe kchain_push(struct machine *m, const char *name) {
  struct kchain *c = &m->chain;
  if (name == NULL)
    return (struct kframe){NULL};
  if (c->depth < KCHAIN_MAX)
    c->fn[c->depth] = name;
  c->depth++;
  return (struct kframe){m};
}

void kchain_pop(struct kframe *f) {
  if (f->m != NULL && f->m->chain.depth > 0)
    f->m->chain.depth--;
}

char *kchain_format(const struct kchain *c, char *buf, size_t len) {
  size_t n = 0;
  if (len == 0)
    return buf;
  buf[0] = '\0';
  unsigned depth = c->depth < KCHAIN_MAX ? c->depth : KCHAIN_MAX;
  for (unsigned i = 0; i < depth && n + 1 < len; i++) {
    const char *sep = i ? " > " : "";
    size_t want = strlen(sep) + strlen(c->fn[i]);
    if (n + want >= len)
      break;
    memcpy(buf + n, sep, strlen(sep));
    n += strlen(sep);
    memcpy(buf + n, c->fn[i], strlen(c->fn[i]));
    n += strlen(c->fn[i]);
    buf[n] = '\0';
  }
  return buf;
}
