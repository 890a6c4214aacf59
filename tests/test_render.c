#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "sv39sim/cli/cmd.h"
#include "sv39sim/xv6/machine.h"
#include "sv39sim/view/render.h"
#include "sv39sim/sv39.h"
#include "sv39sim/xv6/vm.h"

static struct machine *m;
static struct session s;
static char *outbuf;
static size_t outlen;

static void run(const char *line) {
  enum cmd_status st = cmd_run_line(&s, line);
  cr_assert_eq(st, CMD_OK, "'%s' returned %d", line, st);
}

// A machine after xv6's boot, userinit and first exec (traces/xv6-boot.trace).
static void setup(void) {
  struct config cfg;
  config_defaults(&cfg);
  char err[128];
  m = machine_new(&cfg, err, sizeof(err));
  cr_assert_not_null(m, "machine_new: %s", err);
  s = (struct session){.m = m, .file = "test", .err = stderr};
  s.out = open_memstream(&outbuf, &outlen);
  cr_assert_not_null(s.out);
  run("boot");
  run("userinit");
  run("exec 1 -s 4K /init");
  // The tests look only at what the renderers write.
  fclose(s.out);
  free(outbuf);
  outbuf = NULL;
  s.out = open_memstream(&outbuf, &outlen);
  cr_assert_not_null(s.out);
}

static void teardown(void) {
  fclose(s.out);
  free(outbuf);
  machine_free(m);
}

TestSuite(render, .init = setup, .fini = teardown);

struct collected {
  struct render_range r[128];
  int n;
};

static int collect(void *ctx, const struct render_range *r) {
  struct collected *c = ctx;
  if (c->n < 128)
    c->r[c->n] = *r;
  c->n++;
  return 0;
}

static uint64_t user_root(void) {
  return m->proc[proc_slot(m, 1)].pagetable;
}

// The table's JSON as render_json_stream writes it, parsed back; the text must be exactly
// what cJSON prints for the parsed tree, formatted and not.
static cJSON *json_tree(const struct render_table *t) {
  cJSON *back = NULL;
  for (int fmt = 0; fmt < 2; fmt++) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    cr_assert_not_null(f);
    cJSON *head = cJSON_CreateObject();
    cr_assert_eq(render_json_stream(m, t, head, fmt, f), 0);
    cJSON_Delete(head);
    fclose(f);
    cJSON_Delete(back);
    back = cJSON_Parse(text);
    cr_assert_not_null(back, "the streamed JSON does not parse:\n%s", text);
    char *again = fmt ? cJSON_Print(back) : cJSON_PrintUnformatted(back);
    cr_assert(len == strlen(again) + 1 && strncmp(text, again, len - 1) == 0 && text[len - 1] == '\n',
              "streamed (format %d):\n%s\ncJSON prints:\n%s", fmt, text, again);
    cJSON_free(again);
    free(text);
  }
  return back;
}

Test(render, ranges_of_pid_1_are_text_guard_stack_trapframe_trampoline) {
  static const struct render_range want[] = {
      {0x0, 0x87f6b000, 0x1000, PTE_V | PTE_R | PTE_W | PTE_X | PTE_U},
      {0x1000, 0x87f68000, 0x1000, PTE_V | PTE_R | PTE_W | PTE_X},
      {0x2000, 0x87f67000, 0x1000, PTE_V | PTE_R | PTE_W | PTE_X | PTE_U},
      {TRAPFRAME, 0x87f76000, 0x1000, PTE_V | PTE_R | PTE_W},
      {TRAMPOLINE, DEFAULT_TRAMPOLINE, 0x1000, PTE_V | PTE_R | PTE_X},
  };
  struct collected c = {0};
  cr_assert_eq(render_ranges_walk(m, user_root(), collect, &c), 0);
  cr_assert_eq(c.n, 5, "%d ranges, want 5", c.n);
  for (int i = 0; i < 5; i++) {
    cr_assert_eq(c.r[i].va, want[i].va, "range %d: va %#lx, want %#lx", i, c.r[i].va, want[i].va);
    cr_assert_eq(c.r[i].pa, want[i].pa, "range %d: pa %#lx, want %#lx", i, c.r[i].pa, want[i].pa);
    cr_assert_eq(c.r[i].size, want[i].size, "range %d: size %#lx", i, c.r[i].size);
    cr_assert_eq(c.r[i].attr, want[i].attr, "range %d: attr %#x, want %#x", i, c.r[i].attr,
                 want[i].attr);
  }
}

Test(render, kernel_data_is_one_range_across_64_level0_tables) {
  struct collected c = {0};
  render_ranges_walk(m, m->kernel_pagetable, collect, &c);
  // CLINT, PLIC, UART0+VIRTIO0 (adjacent, same bits), text, data, 64 stacks, trampoline.
  cr_assert_eq(c.n, 5 + 64 + 1, "%d ranges, want 70", c.n);
  cr_assert_eq(c.r[2].va, UART0);
  cr_assert_eq(c.r[2].size, 2 * PGSIZE, "UART0 and VIRTIO0 merge: size %#lx", c.r[2].size);
  cr_assert_eq(c.r[4].va, DEFAULT_ETEXT);
  cr_assert_eq(c.r[4].size, KERNBASE + DEFAULT_RAM_SIZE - DEFAULT_ETEXT,
               "data range size %#lx", c.r[4].size);
}

Test(render, ranges_text_uses_qemu_columns_and_letters_then_the_region) {
  struct render_table t = {.root = user_root(), .pid = 1, .which = "user"};
  render_ranges(m, &t, s.out, false);
  fflush(s.out);
  const char *want = "vaddr            paddr            size             attr    region\n"
                     "---------------- ---------------- ---------------- ------- ------\n"
                     "0000000000000000 0000000087f6b000 0000000000001000 rwxu--- text/data\n"
                     "0000000000001000 0000000087f68000 0000000000001000 rwx---- guard page\n"
                     "0000000000002000 0000000087f67000 0000000000001000 rwxu--- stack\n";
  cr_assert(strncmp(outbuf, want, strlen(want)) == 0, "got:\n%s", outbuf);
}

Test(render, attr_letters_follow_qemu_order) {
  char letters[RENDER_ATTR_LEN];
  render_attr(PTE_V | PTE_R | PTE_X | PTE_G | PTE_D, letters);
  cr_assert_str_eq(letters, "r-x-g-d");
  // The cow lab's bit 8 adds its letter after QEMU's seven.
  render_attr(PTE_V | PTE_R | PTE_U | 0x100, letters);
  cr_assert_str_eq(letters, "r--u---c");
}

// A level-2 leaf (a 1 GiB superpage) in the upper half of the address space.
Test(render, superpage_in_upper_half_has_canonical_va_and_1g_size) {
  uint64_t root = user_root();
  vm_pte_write(m, root + 8 * 300, PA2PTE(0x40000000) | PTE_V | PTE_R);
  struct collected c = {0};
  render_ranges_walk(m, root, collect, &c);
  cr_assert_eq(c.n, 6);
  cr_assert_eq(c.r[5].va, 0xffffffcb00000000ULL, "va %#lx", c.r[5].va);
  cr_assert_eq(c.r[5].size, 1ULL << 30);

  struct render_table t = {.root = root, .pid = 1, .which = "user", .satp = MAKE_SATP(root)};
  cJSON *o = json_tree(&t);
  cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "entries"), 2);
  cr_assert_eq(cJSON_GetObjectItem(e, "index")->valueint, 300);
  cr_assert_str_eq(cJSON_GetObjectItem(e, "va_start")->valuestring, "0xffffffcb00000000");
  cr_assert_str_eq(cJSON_GetObjectItem(e, "va_end")->valuestring, "0xffffffcb3fffffff");
  cr_assert_eq(cJSON_GetObjectItem(e, "page_size")->valuedouble, 1073741824.0);
  cJSON_Delete(o);
}

Test(render, json_tree_nests_levels_and_decodes_flags) {
  struct render_table t = {.root = user_root(), .pid = 1, .which = "user",
                           .satp = MAKE_SATP(user_root())};
  cJSON *o = json_tree(&t);
  cr_assert_str_eq(cJSON_GetObjectItem(o, "root")->valuestring, "0x87f6e000");
  cr_assert_str_eq(cJSON_GetObjectItem(o, "satp")->valuestring, "0x8000000000087f6e");
  cJSON *top = cJSON_GetObjectItem(o, "entries");
  cr_assert_eq(cJSON_GetArraySize(top), 2, "root has %d valid entries", cJSON_GetArraySize(top));
  cJSON *l1 = cJSON_GetObjectItem(cJSON_GetArrayItem(top, 0), "entries");
  cJSON *l0 = cJSON_GetObjectItem(cJSON_GetArrayItem(l1, 0), "entries");
  cJSON *guard = cJSON_GetArrayItem(l0, 1);
  cr_assert_eq(cJSON_GetObjectItem(guard, "level")->valueint, 0);
  cr_assert_str_eq(cJSON_GetObjectItem(guard, "va_start")->valuestring, "0x1000");
  cr_assert_str_eq(cJSON_GetObjectItem(guard, "pte")->valuestring, "0x21fda00f");
  char *flags = cJSON_PrintUnformatted(cJSON_GetObjectItem(guard, "flags"));
  cr_assert_str_eq(flags, "[\"V\",\"R\",\"W\",\"X\"]", "guard page flags %s", flags);
  cJSON_free(flags);
  cJSON_Delete(o);
}

// root[i] -> A for every i, A[j] -> B for every j, B all leaves: 512^3 leaves. The DOT
// graph draws each table once; the JSON streams any table, checked here on 512 * 512 leaves (the old
// limit was 2^18 PTEs in all) of one hand-built table.
Test(render, a_huge_hand_built_table_is_drawn_by_dot_and_streamed_by_json) {
  uint64_t root = user_root(), a = 0x87000000, b = 0x87001000;
  for (uint64_t i = 0; i < 512; i++) {
    vm_pte_write(m, root + 8 * i, PA2PTE(a) | PTE_V);
    vm_pte_write(m, a + 8 * i, PA2PTE(b) | PTE_V);
    vm_pte_write(m, b + 8 * i, PA2PTE(KERNBASE) | PTE_V | PTE_R);
  }
  cr_assert_gt(render_count_entries(m, root, RENDER_MAX_ENTRIES), RENDER_MAX_ENTRIES);
  struct render_table t = {.root = root, .pid = 1, .which = "user"};
  cr_assert_eq(render_dot(m, &t, s.out), 0);
  fflush(s.out);
  // The shared tables are drawn once each; b's 512 leaves map one page each, alike: a run.
  cr_assert_not_null(strstr(outbuf, "  t87001000 [label="), "no node for b");
  cr_assert_null(strstr(strstr(outbuf, "  t87001000 [label=") + 1, "  t87001000 [label="),
                 "b is drawn twice");
  cr_assert_not_null(strstr(outbuf, "512 x 4 KiB r------"), "no run of 512 pages:\n%s",
                     outbuf);
  cr_assert_null(strstr(outbuf, "  r0 ["), "a range node beside the run");
  for (uint64_t i = 1; i < 512; i++)
    vm_pte_write(m, root + 8 * i, 0);
  cJSON *o = json_tree(&t);
  cJSON *l1 = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(o, "entries"), 0),
                                  "entries");
  cr_assert_eq(cJSON_GetArraySize(l1), 512);
  cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetArrayItem(l1, 511), "entries")),
               512);
  cJSON_Delete(o);
}

// A root outside RAM: an empty "entries"; a pointer outside RAM: listed, not entered.
Test(render, json_of_tables_outside_ram) {
  struct render_table t = {.root = 0x1000, .pid = -1, .which = "satp", .satp = 0};
  cJSON *o = json_tree(&t);
  cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(o, "entries")), 0);
  cr_assert(cJSON_IsNull(cJSON_GetObjectItem(o, "pid")));
  cJSON_Delete(o);
  uint64_t root = user_root();
  vm_pte_write(m, root + 8 * 5, PA2PTE(0x1000) | PTE_V);
  t = (struct render_table){.root = root, .pid = 1, .which = "user"};
  o = json_tree(&t);
  cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "entries"), 1);
  cr_assert_eq(cJSON_GetObjectItem(e, "index")->valueint, 5);
  cr_assert_null(cJSON_GetObjectItem(e, "entries"));
  cJSON_Delete(o);
}

// A table that points at itself is drawn once, not followed forever.
Test(render, dot_draws_a_cyclic_table_once) {
  uint64_t root = user_root();
  vm_pte_write(m, root + 8 * 7, PA2PTE(root) | PTE_V);
  struct render_table t = {.root = root, .pid = 1, .which = "user"};
  cr_assert_eq(render_dot(m, &t, s.out), 0);
  fflush(s.out);
  char decl[64];
  snprintf(decl, sizeof(decl), "  t%lx [label=", (unsigned long)root);
  const char *first = strstr(outbuf, decl);
  cr_assert_not_null(first, "no node for the root in:\n%s", outbuf);
  cr_assert_null(strstr(first + 1, decl), "the root is drawn twice");
  cr_assert_not_null(strstr(outbuf, "t87f6e000:e7 -> t87f6e000;"), "no edge back to the root");
}

Test(render, dot_draws_kernel_stacks_as_one_strided_node) {
  struct render_table t = {.root = m->kernel_pagetable, .pid = -1, .which = "kernel"};
  cr_assert_eq(render_dot(m, &t, s.out), 0);
  fflush(s.out);
  cr_assert_not_null(strstr(outbuf, "383..509 step 2: 64 x rw-----"), "got:\n%s", outbuf);
  cr_assert_not_null(strstr(outbuf, "63 level-0 tables"), "direct map not collapsed");
  static const char *const regions[] = {"\"CLINT\\l", "\"PLIC\\l", "\"UART0, VIRTIO0\\l",
                                        "\"kernel text\\l", "\"kernel data, RAM\\l",
                                        "\"kernel stacks\\l", "\"trampoline\\l",
                                        "  legend [shape=none"};
  for (int i = 0; i < 8; i++)
    cr_assert_not_null(strstr(outbuf, regions[i]), "no %s in:\n%s", regions[i], outbuf);
}

// With --json a streamed view writes the command's one line itself ("cmd" and "ok" first),
// and a view that fails before writing (no such pid) still gets cmd.c's line.
Test(render, json_mode_streams_one_line_per_command) {
  s.json = true;
  cr_assert_eq(cmd_run_line(&s, "json kernel"), CMD_OK);
  cr_assert_eq(cmd_run_line(&s, "vmprint 1"), CMD_OK);
  cr_assert_eq(cmd_run_line(&s, "json 9"), CMD_ERROR);
  fflush(s.out);
  int lines = 0;
  for (char *save = NULL, *l = strtok_r(outbuf, "\n", &save); l != NULL;
       l = strtok_r(NULL, "\n", &save), lines++) {
    cJSON *o = cJSON_Parse(l);
    cr_assert_not_null(o, "line %d does not parse", lines);
    cr_assert_str_eq(o->child->string, "cmd");
    cr_assert_eq(cJSON_IsTrue(cJSON_GetObjectItem(o, "ok")), lines < 2);
    cr_assert_eq(cJSON_GetObjectItem(o, "entries") != NULL, lines < 2);
    cJSON_Delete(o);
  }
  cr_assert_eq(lines, 3);
}

// After sbrk the stack page and the four heap pages (rwxu, each its own kalloc'd page)
// are one field and one node; `expand` draws each page as its own range node.
Test(render, dot_collapses_runs_of_user_pages_unless_expanded) {
  run("sbrk 1 16384");
  run("dot 1");
  fflush(s.out);
  cr_assert_not_null(strstr(outbuf, "|<e2> 2..6: 5 x rwxu---"), "got:\n%s", outbuf);
  cr_assert_not_null(strstr(outbuf, "label=\"stack .. heap\\lva 0x2000..0x6fff\\l5 x 4 KiB"),
                     "got:\n%s", outbuf);
  cr_assert_null(strstr(outbuf, "  r3 ["), "a page of the run drawn alone:\n%s", outbuf);
  run("dot 1 user expand");
  fflush(s.out);
  const char *second = strstr(outbuf, "digraph pagetable {\n  graph [rankdir=LR");
  second = second ? strstr(second + 1, "digraph") : NULL;
  cr_assert_not_null(second);
  cr_assert_null(strstr(second, "5 x rwxu---"), "expand still collapsed:\n%s", second);
  cr_assert_not_null(strstr(second, "label=\"heap\\lpa "), "got:\n%s", second);
}

// `walk VA` draws exactly the three edges of the trampoline's path red, and says so.
Test(render, dot_walk_highlights_one_translation_path) {
  run("dot 1 walk 0x3ffffff000");
  fflush(s.out);
  cr_assert_not_null(strstr(outbuf, "the walk of va 0x3ffffff000 in red"), "%s", outbuf);
  static const char *const path[] = {"t87f6e000:e255 -> t87f6d000 [color=red",
                                     "t87f6d000:e511 -> t87f6c000 [color=red",
                                     "t87f6c000:e511 -> r4 [color=red"};
  for (int i = 0; i < 3; i++)
    cr_assert_not_null(strstr(outbuf, path[i]), "no %s in:\n%s", path[i], outbuf);
  int red = 0;
  for (const char *p = outbuf; (p = strstr(p, "color=red")) != NULL; p++)
    red++;
  cr_assert_eq(red, 3, "%d red edges", red);
}

// The one namer of regions (region.c): the pages proc_pagetable and the lab map at the top
// of a user table, and a kernel table's stacks from KSTACK(NPROC - 1) up (the pgtbl lab's
// KSTACK(NPROC - 1), one page lower than the stock kernel's, included).
Test(render, regions_name_usyscall_and_each_kernel_stack) {
  struct render_regions rg;
  render_regions_init(&rg, true, DEFAULT_ETEXT);
  struct render_range text = {.va = 0, .size = PGSIZE, .attr = PTE_V | PTE_R | PTE_X | PTE_U};
  struct render_range usys = {.va = TRAPFRAME - PGSIZE, .size = PGSIZE,
                              .attr = PTE_V | PTE_R | PTE_U};
  long i = render_regions_add(&rg, &text), j = render_regions_add(&rg, &usys);
  cr_assert_str_eq(render_region_name(&rg, i, &text), "text/data");
  cr_assert_str_eq(render_region_name(&rg, j, &usys), "usyscall");
  cr_assert_eq(rg.guard, -1, "usyscall has U: no guard page");
  render_regions_init(&rg, false, DEFAULT_ETEXT);
  struct render_range low = {.va = TRAMPOLINE - (2 * NPROC - 1) * PGSIZE - 2 * PGSIZE,
                             .size = PGSIZE, .attr = PTE_V | PTE_R | PTE_W};
  struct render_range below = low;
  below.va -= PGSIZE;
  cr_assert_str_eq(render_region_name(&rg, render_regions_add(&rg, &below), &below),
                   "kernel data, RAM");
  cr_assert_str_eq(render_region_name(&rg, render_regions_add(&rg, &low), &low),
                   "kernel stack");
}
