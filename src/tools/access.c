#include "sv39sim/tools/access.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sv39sim/xv6/machine.h"
#include "sv39sim/xv6/trap.h"
#include "sv39sim/hw/tlb.h"

#define BUF_SIZE (64u * 1024u)

struct reader {
  FILE *in;
  char buf[BUF_SIZE + 8]; // 8 more: parse_hex reads that far past a line's end
  size_t start, end; // unread bytes are buf[start..end)
  bool eof;
};

// The next line, NUL-terminated in place, without its newline. Returns its length, -1 at
// the end of the stream, or -2 for a line longer than ACCESS_MAX_LINE.
static long next_line(struct reader *r, char **line) {
  for (;;) {
    char *nl = memchr(r->buf + r->start, '\n', r->end - r->start);
    if (nl != NULL || (r->eof && r->end > r->start)) {
      char *p = r->buf + r->start;
      size_t n = nl != NULL ? (size_t)(nl - p) : r->end - r->start;
      if (n > ACCESS_MAX_LINE)
        return -2;
      r->start += n + (nl != NULL);
      if (nl == NULL) {
        p[n] = '\0'; // a last line without newline: reads leave a byte free for this
      } else {
        *nl = '\0';
      }
      *line = p;
      return (long)n;
    }
    if (r->eof)
      return -1;
    if (r->end - r->start > ACCESS_MAX_LINE)
      return -2;
    memmove(r->buf, r->buf + r->start, r->end - r->start);
    r->end -= r->start;
    r->start = 0;
    size_t got = fread(r->buf + r->end, 1, BUF_SIZE - 1 - r->end, r->in);
    r->end += got;
    if (got == 0)
      r->eof = true;
  }
}

static int problem(char *err, size_t errlen, const char *name, unsigned long line,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int problem(char *err, size_t errlen, const char *name, unsigned long line,
                   const char *fmt, ...) {
  int n = snprintf(err, errlen, "%s:%lu: ", name, line);
  if (n >= 0 && (size_t)n < errlen) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
    va_end(ap);
  }
  return -1;
}

static const char *skip_blanks(const char *p) {
  while (*p == ' ' || *p == '\t' || *p == '\r')
    p++;
  return p;
}

// Each byte's value as a hex digit plus one, or 0 for a byte that is none.
static const uint8_t hex_value1[256] = {
    ['0'] = 1,  ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,
    ['6'] = 7,  ['7'] = 8,  ['8'] = 9,  ['9'] = 10, ['a'] = 11, ['b'] = 12,
    ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16, ['A'] = 11, ['B'] = 12,
    ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

// Hex digits without 0x (an optional 0x is accepted); *end after them. Returns 0, or -1
// when there are none or more than 16 significant ones. Reads up to 8 bytes past the
// line's end (the reader's buffer has them).
static inline int parse_hex(const char *p, uint64_t *v, const char **end) {
  if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
    p += 2;
  const unsigned char *u = (const unsigned char *)p;
  uint64_t x = 0;
  unsigned n = 0, all = 1;
  for (unsigned i = 0; i < 8; i++) { // eight digits at once, as lackey writes addresses
    unsigned d = hex_value1[u[i]];
    all &= d != 0;
    x = x << 4 | ((d - 1) & 15);
  }
  if (all)
    n = 8; // no overflow possible yet
  else
    x = 0;
  unsigned digit;
  while ((digit = hex_value1[u[n]]) != 0) {
    if (x >> 60 != 0)
      return -1;
    x = x << 4 | (digit - 1);
    n++;
  }
  if (n == 0)
    return -1;
  *v = x;
  *end = p + n;
  return 0;
}

// The process a replay runs as and what its faults do (-1 and 0: the hart as it is, faults
// only counted); stop is set when the replay must end (killed, or a panic: sim).
struct replay_ctx {
  int slot;
  unsigned how;
  bool stop;
  int sim;
};

// Count fault f of line, and list it while there is room.
static void count_fault(struct access_stats *st, unsigned long line, const struct fault *f) {
  st->faults++;
  if (st->nfirst < ACCESS_FIRST_FAULTS)
    st->first[st->nfirst++] = (struct access_fault){.line = line, .f = *f};
}

// One translation of a record; a fault goes to usertrap as rc says. Returns 0 when the
// access went on, -1 when it trapped for good (the rest of the access never happens).
static int translate_one(struct machine *m, struct replay_ctx *rc, struct access_stats *st,
                         unsigned long line, uint64_t va, enum access acc) {
  uint64_t pa;
  struct fault f;
  st->translations++;
  if (mmu_translate(&m->hw, va, acc, &pa, &f, NULL) == 0)
    return 0;
  count_fault(st, line, &f);
  if (rc->how == 0)
    return -1;
  unsigned how = (rc->how & ACCESS_KERNEL ? TRAP_HOW_KERNEL : 0) |
                 (rc->how & ACCESS_DEMAND ? TRAP_HOW_DEMAND : 0);
  struct trap_outcome o;
  rc->sim = trap_fault(m, rc->slot, acc, &f, how, &o);
  if (rc->sim != SIM_OK || o.action == TRAP_KILLED) {
    rc->stop = true;
    st->killed = o.action == TRAP_KILLED;
    st->killed_line = line;
    st->killed_why = o.why;
    memcpy(st->killed_console, o.msg, sizeof(o.msg));
    return -1;
  }
  if (o.action == TRAP_COUNTED)
    return -1;
  st->demand_faults += o.action == TRAP_DEMAND;
  st->lazy_allocs += o.action == TRAP_LAZY;
  st->cow_copies += o.action == TRAP_COW;
  st->translations++; // the retry
  if (mmu_translate(&m->hw, va, acc, &pa, &f, NULL) == 0)
    return 0;
  count_fault(st, line, &f); // mapped, and still refused (a fetch from a lazy page)
  return -1;
}

// Translate one access (each page it touches once) and count it.
static void one_access(struct machine *m, struct replay_ctx *rc, struct access_stats *st,
                       unsigned long line, uint64_t va, uint64_t size, enum access acc) {
  if ((va & (PGSIZE - 1)) + size <= PGSIZE) { // inside one page, as nearly all are
    if (rc->how == 0) {
      uint64_t pa;
      struct fault f;
      st->translations++;
      if (mmu_translate(&m->hw, va, acc, &pa, &f, NULL) != 0)
        count_fault(st, line, &f);
      return;
    }
    translate_one(m, rc, st, line, va, acc);
    return;
  }
  // Counted in pages, as addresses wrap at 2^64: the access's first byte, then the start
  // of each later page it touches (one past 0x3fffffffff is non-canonical and faults).
  uint64_t npages = ((va & (PGSIZE - 1)) + size - 1) / PGSIZE + 1;
  for (uint64_t k = 0; k < npages; k++) {
    uint64_t a = k == 0 ? va : PGROUNDDOWN(va) + k * PGSIZE;
    if (translate_one(m, rc, st, line, a, acc) != 0)
      break; // the access traps: the rest of it never happens
  }
}

// Parse a lackey line ("I  04000000,3", " L 7ff0001b8,8"). Returns 0 and the access,
// or -1 with a message.
static int parse_lackey(const char *p, char *kind, uint64_t *va, uint64_t *size,
                        const char **why) {
  *kind = *p;
  bool known = *p == 'I' || *p == 'L' || *p == 'S' || *p == 'M';
  if (!known || (p[1] != ' ' && p[1] != '\t')) {
    *why = "not a lackey line (want 'I|L|S|M ADDRESS,SIZE')";
    return -1;
  }
  const char *end;
  if (parse_hex(skip_blanks(p + 1), va, &end) != 0) {
    *why = "the address is not 1 to 16 hex digits";
    return -1;
  }
  uint64_t n = 0;
  if (*end != ',' || end[1] < '0' || end[1] > '9') {
    *why = "want ',SIZE' after the address";
    return -1;
  }
  for (end++; *end >= '0' && *end <= '9' && n < 1000000; end++)
    n = n * 10 + (uint64_t)(*end - '0');
  if (*skip_blanks(end) != '\0' || n == 0 || n >= 1000000) {
    *why = "SIZE must be a decimal number of bytes, 1 to 999999";
    return -1;
  }
  *size = n;
  return 0;
}

// A lackey line exactly as valgrind writes it ("I  04000000,3", " L 7ff0001b8,8": no tab,
// comment or odd byte), parsed straight from the buffer without splitting the line first.
// Returns the bytes it takes, newline included, or 0 for a line parse_lackey must see
// (anything else, a bad line, a line not yet wholly in the buffer), so that what is
// accepted and every message stay parse_lackey's.
static size_t fast_lackey(const struct reader *r, char *kind, uint64_t *va, uint64_t *size) {
  const char *line = r->buf + r->start, *p = line;
  while (*p == ' ')
    p++;
  if ((*p != 'I' && *p != 'L' && *p != 'S' && *p != 'M') || p[1] != ' ')
    return 0;
  *kind = *p;
  for (p += 2; *p == ' ';)
    p++;
  const char *end;
  if (parse_hex(p, va, &end) != 0 || *end != ',')
    return 0;
  uint64_t n = 0;
  for (p = end + 1; *p >= '0' && *p <= '9' && n < 1000000; p++)
    n = n * 10 + (uint64_t)(*p - '0');
  if (n == 0 || n >= 1000000 || *p != '\n')
    return 0;
  size_t len = (size_t)(p - line);
  // The newline must be one the stream gave (bytes past end are stale), and the line no
  // longer than next_line allows.
  if (p >= r->buf + r->end || len > ACCESS_MAX_LINE)
    return 0;
  *size = n;
  return len + 1;
}

// access_replay for rc's process and fault handling, with progress.
static int replay(struct machine *m, struct replay_ctx *rc, FILE *in, const char *name,
                  access_progress_fn *progress, void *pctx, struct access_stats *st,
                  char *err, size_t errlen) {
  static const enum access din_access[3] = {ACC_R, ACC_W, ACC_X};
  static const int din_kind[3] = {ACCESS_L, ACCESS_S, ACCESS_I};
  memset(st, 0, sizeof(*st));
  struct tlb_stats before = m->hw.tlb.total;
  struct reader *r = calloc(1, sizeof(*r)); // 64 KiB: too much for a stack frame
  if (r == NULL)
    return problem(err, errlen, name, 0, "out of host memory");
  r->in = in;
  r->start = r->end = 0;
  r->eof = false;
  bool detected = false;
  unsigned long lineno = 0;
  int result = 0;
  char *line;
  long n;
  uint64_t next_progress = 1u << 20;
  for (; !rc->stop;) {
    char kind;
    uint64_t va, size;
    size_t used;
    if (progress != NULL && st->records >= next_progress) {
      progress(pctx, st->records);
      next_progress += 1u << 20;
    }
    if (detected && st->format == ACCESS_LACKEY && (used = fast_lackey(r, &kind, &va, &size))) {
      r->start += used;
      lineno++;
      goto parsed;
    }
    if ((n = next_line(r, &line)) == -1)
      break;
    lineno++;
    if (n == -2) {
      result = problem(err, errlen, name, lineno, "line longer than %u bytes", ACCESS_MAX_LINE);
      break;
    }
    const char *p = skip_blanks(line);
    if (*p == '\0' || *p == '#' || (p[0] == '=' && p[1] == '=') || (p[0] == '-' && p[1] == '-'))
      continue; // blank, a comment, or valgrind's own messages
    if (!detected) {
      st->format = (*p >= '0' && *p <= '9') ? ACCESS_DIN : ACCESS_LACKEY;
      detected = true;
    }
    const char *why = NULL, *end;
    if (st->format == ACCESS_LACKEY) {
      if (parse_lackey(p, &kind, &va, &size, &why) != 0) {
        result = problem(err, errlen, name, lineno, "%s", why);
        break;
      }
    } else {
      if (*p < '0' || *p > '4' || (p[1] != ' ' && p[1] != '\t')) {
        result = problem(err, errlen, name, lineno,
                         "not a din line (want 'LABEL ADDRESS', LABEL 0 to 4)");
        break;
      }
      kind = *p;
      if (parse_hex(skip_blanks(p + 1), &va, &end) != 0) {
        result = problem(err, errlen, name, lineno, "the address is not 1 to 16 hex digits");
        break;
      }
      size = 4; // din has no sizes; Dinero IV assumes 4 bytes
    }
  parsed:
    if (!va_is_canonical(va)) {
      result = problem(err, errlen, name, lineno,
                       "address 0x%llx is outside Sv39 (bits 63..38 must all be equal)",
                       (unsigned long long)va);
      break;
    }
    if (st->format == ACCESS_DIN) {
      if (kind >= '3') {
        st->skipped++;
        continue;
      }
      st->records++;
      st->kind[din_kind[kind - '0']]++;
      one_access(m, rc, st, lineno, va, size, din_access[kind - '0']);
      continue;
    }
    st->records++;
    switch (kind) {
    case 'I': st->kind[ACCESS_I]++; one_access(m, rc, st, lineno, va, size, ACC_X); break;
    case 'L': st->kind[ACCESS_L]++; one_access(m, rc, st, lineno, va, size, ACC_R); break;
    case 'S': st->kind[ACCESS_S]++; one_access(m, rc, st, lineno, va, size, ACC_W); break;
    default:
      st->kind[ACCESS_M]++;
      one_access(m, rc, st, lineno, va, size, ACC_R);
      one_access(m, rc, st, lineno, va, size, ACC_W);
      break;
    }
  }
  if (result == 0 && ferror(in)) // errno is still the failed read's
    result = problem(err, errlen, name, lineno, "read error: %s", strerror(errno));
  free(r);
  st->hits = m->hw.tlb.total.hits - before.hits;
  st->misses = m->hw.tlb.total.misses - before.misses;
  return result == 0 && rc->sim == SIM_PANIC ? -2 : result;
}

int access_replay(struct machine *m, FILE *in, const char *name, struct access_stats *st,
                  char *err, size_t errlen) {
  struct replay_ctx rc = {.slot = -1};
  return replay(m, &rc, in, name, NULL, NULL, st, err, errlen);
}

int access_run(struct machine *m, int slot, FILE *in, const char *name,
               struct access_stats *st, char *err, size_t errlen) {
  return access_run_how(m, slot, in, name, m->cfg.lab != LAB_NONE ? ACCESS_KERNEL : 0, NULL,
                        NULL, st, err, errlen);
}

int access_run_how(struct machine *m, int slot, FILE *in, const char *name, unsigned how,
                   access_progress_fn *progress, void *ctx, struct access_stats *st,
                   char *err, size_t errlen) {
  struct hart saved = m->hw.hart;
  int saved_current = m->current;
  // userret: the process's table into satp, sfence.vma zero, zero, sret to U-mode.
  mmu_write_satp(&m->hw, MAKE_SATP(m->proc[slot].pagetable));
  m->hw.hart.priv = PRIV_U;
  machine_set_current(m, slot);
  tlb_sfence(&m->hw, true, 0, true, 0);
  struct replay_ctx rc = {.slot = slot, .how = how};
  int r = replay(m, &rc, in, name, progress, ctx, st, err, errlen);
  // uservec: the kernel's satp back, sfence.vma zero, zero (a killed process's trap did).
  m->hw.hart = saved;
  if (!rc.stop)
    tlb_sfence(&m->hw, true, 0, true, 0);
  // A killed process's exit went back to the scheduler.
  machine_set_current(m, m->proc[slot].state == ZOMBIE && saved_current == slot ? -1
                                                                                 : saved_current);
  return r;
}
