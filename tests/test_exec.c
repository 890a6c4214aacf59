#include <string.h>

#include "helpers.h"
#include "sv39sim/xv6/exec.h"
#include "sv39sim/xv6/kvm.h"
#include "sv39sim/xv6/proc.h"
#include "sv39sim/view/render.h"
#include "sv39sim/sv39.h"
#include "sv39sim/xv6/vm.h"

static struct machine *m;
static int slot;
static uint8_t *elf;
static uint64_t elf_len;

static uint8_t *read_file(const char *name, uint64_t *len) {
  char path[512];
  snprintf(path, sizeof(path), "%s/%s", TEST_DATA, name);
  FILE *f = fopen(path, "rb");
  cr_assert_not_null(f, "cannot open %s", path);
  uint8_t *buf = malloc(1 << 16);
  *len = fread(buf, 1, 1 << 16, f);
  fclose(f);
  return buf;
}

static void setup(void) {
  m = test_machine();
  cr_assert_eq(kvm_boot(m), SIM_OK);
  cr_assert_eq(proc_userinit(m, &slot), SIM_OK);
  elf = read_file("two-segments.elf", &elf_len);
}

static void teardown(void) {
  free(elf);
  machine_free(m);
}

TestSuite(exec, .init = setup, .fini = teardown);

static char *vmprint_text(void) {
  char *text = NULL;
  CAPTURE(text, render_vmprint(m, m->proc[slot].pagetable, out));
  return text;
}

static int run(const uint8_t *file, uint64_t len, int argc, char **argv,
               struct exec_result *res) {
  return exec_sys_exec(m, slot, file, len, "/bin/prog", argc, argv, res);
}

static uint64_t user_u64(uint64_t va) {
  uint64_t v = 0;
  cr_assert_eq(vm_copyin(m, m->proc[slot].pagetable, &v, va, 8), SIM_OK, "va 0x%lx", va);
  return v;
}

Test(exec, loads_both_segments_of_a_real_elf) {
  struct exec_result res;
  char *argv[] = {"prog"};
  cr_assert_eq(run(elf, elf_len, 1, argv, &res), SIM_OK);
  cr_assert_eq(res.ret, 1, "exec returned %d (%s)", res.ret, res.why);
  struct proc *p = &m->proc[slot];
  // text page, data page, bss page, guard, stack
  cr_assert_eq(p->sz, 5 * PGSIZE, "sz 0x%lx", p->sz);
  uint8_t text[0x5e], want_data[4] = {42, 0, 0, 0}, data[8];
  cr_assert_eq(vm_copyin(m, p->pagetable, text, 0, sizeof(text)), SIM_OK);
  cr_assert_eq(memcmp(text, elf + 0x1000, sizeof(text)), 0, "text bytes from offset 0x1000");
  cr_assert_eq(vm_copyin(m, p->pagetable, data, 0x1000, 8), SIM_OK);
  cr_assert_eq(memcmp(data, want_data, 4), 0, "counter = 42 at va 0x1000");
  cr_assert_eq(user_u64(0x1004), 0, "bss is zero");
  cr_assert_eq(user_u64(0x2770), 0, "bss is zero up to memsz");
  cr_assert_str_eq(p->name, "prog");
}

Test(exec, one_segment_elf_takes_two_pages) {
  uint64_t len;
  uint8_t *one = read_file("one-segment.elf", &len);
  struct exec_result res;
  cr_assert_eq(run(one, len, 0, NULL, &res), SIM_OK);
  cr_assert_eq(res.ret, 0);
  cr_assert_eq(m->proc[slot].sz, 4 * PGSIZE, "2 image pages + guard + stack");
  uint8_t text[0x54];
  cr_assert_eq(vm_copyin(m, m->proc[slot].pagetable, text, 0, sizeof(text)), SIM_OK);
  cr_assert_eq(memcmp(text, one + 0xb0, sizeof(text)), 0);
  free(one);
}

Test(exec, guard_page_loses_u_and_the_stack_holds_argv) {
  struct exec_result res;
  char *argv[] = {"init", "a"};
  cr_assert_eq(run(elf, elf_len, 2, argv, &res), SIM_OK);
  cr_assert_eq(res.ret, 2);
  uint64_t pt = m->proc[slot].pagetable, pte_pa;
  cr_assert_eq(vm_walk(m, pt, 0x3000, 0, &pte_pa), SIM_OK);
  cr_assert_eq(PTE_FLAGS(vm_pte_read(m, pte_pa)), PTE_R | PTE_W | PTE_X | PTE_V);
  // Stack top 0x5000: "init\0" at 0x4ff0 (0x4ffb rounded down to 16), "a\0" at 0x4fe0,
  // then {0x4ff0, 0x4fe0, 0} at 0x4fc0 (0x4fc8 rounded down).
  cr_assert_eq(user_u64(0x4fc0), 0x4ff0);
  cr_assert_eq(user_u64(0x4fc8), 0x4fe0);
  cr_assert_eq(user_u64(0x4fd0), 0);
  char s[8];
  cr_assert_eq(vm_copyinstr(m, pt, s, 0x4ff0, sizeof(s)), SIM_OK);
  cr_assert_str_eq(s, "init");
  cr_assert_eq(vm_copyinstr(m, pt, s, 0x4fe0, sizeof(s)), SIM_OK);
  cr_assert_str_eq(s, "a");
}

Test(exec, frees_the_argument_pages_and_the_old_image) {
  uint64_t before = m->kmem.nfree;
  struct exec_result res;
  char *argv[] = {"x", "y", "z"};
  cr_assert_eq(run(elf, elf_len, 3, argv, &res), SIM_OK);
  // new: root + 2 trampoline tables + 3 image pages + 2 tables + 2 stack pages = 10;
  // old: root + 2 + initcode page + 2 = 6 freed; the 3 argv pages come and go.
  cr_assert_eq(before - m->kmem.nfree, 4, "net %ld", (long)(before - m->kmem.nfree));
}

// exec must fail, leave the old image as it was and leak nothing.
static void assert_exec_fails(const uint8_t *file, uint64_t len, const char *why_part) {
  char *before_text = vmprint_text();
  uint64_t before = m->kmem.nfree, sz = m->proc[slot].sz;
  struct exec_result res;
  char *argv[] = {"prog"};
  cr_assert_eq(run(file, len, 1, argv, &res), SIM_OK);
  cr_assert_eq(res.ret, -1);
  cr_assert(strstr(res.why, why_part) != NULL, "why: '%s', want '%s'", res.why, why_part);
  cr_assert_eq(m->kmem.nfree, before, "free %lu, before %lu", m->kmem.nfree, before);
  cr_assert_eq(m->proc[slot].sz, sz);
  char *after_text = vmprint_text();
  cr_assert_str_eq(after_text, before_text);
  free(before_text);
  free(after_text);
}

static void put64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

// Program header i of two-segments.elf (phoff 64, 56 bytes each).
static uint8_t *ph(uint8_t *file, int i) {
  return file + 64 + 56 * i;
}

Test(exec, bad_magic_fails) {
  elf[1] = 'X';
  assert_exec_fails(elf, elf_len, "magic");
}

Test(exec, memsz_below_filesz_fails) {
  put64(ph(elf, 1) + 40, 2); // memsz 2 < filesz 4
  assert_exec_fails(elf, elf_len, "memsz < filesz");
}

Test(exec, vaddr_plus_memsz_overflow_fails) {
  put64(ph(elf, 1) + 16, 0xfffffffffffff000ULL);
  assert_exec_fails(elf, elf_len, "overflows");
}

Test(exec, misaligned_vaddr_fails_after_uvmalloc_as_in_xv6) {
  put64(ph(elf, 1) + 16, 0x1010);
  assert_exec_fails(elf, elf_len, "not page-aligned");
}

Test(exec, a_truncated_file_fails) {
  assert_exec_fails(elf, 0x2002, "past the end of the file");
}

Test(exec, a_file_shorter_than_a_header_fails) {
  assert_exec_fails(elf, 40, "shorter than an ELF header");
}

Test(exec, running_out_of_memory_at_every_kalloc_fails_cleanly) {
  // sys_exec's argv page, then exec's kallocs: 3 for the table, 3 + 2 for the image, 2 for
  // the stack. A failure at each of them must leave everything as it was.
  for (uint64_t n = 1; n <= 11; n++) {
    m->kmem.failat = n;
    assert_exec_fails(elf, elf_len, "");
    cr_assert(!m->halted, "failat %lu panicked: %s", n, m->panic_msg);
    cr_assert_eq(m->kmem.failat, 0, "failat %lu never fired", n);
  }
  m->kmem.failat = 12;
  struct exec_result res;
  char *argv[] = {"prog"};
  cr_assert_eq(run(elf, elf_len, 1, argv, &res), SIM_OK);
  cr_assert_eq(res.ret, 1, "exec needs exactly 11 kallocs");
  m->kmem.failat = 0;
}

Test(exec, synthetic_image_of_size_0_has_only_the_stack) {
  uint64_t len;
  uint8_t *img = exec_synthetic_image(0, &len);
  struct exec_result res;
  cr_assert_eq(run(img, len, 0, NULL, &res), SIM_OK);
  cr_assert_eq(res.ret, 0);
  cr_assert_eq(m->proc[slot].sz, 2 * PGSIZE);
  free(img);
}

Test(exec, more_than_31_arguments_fail_in_sys_exec) {
  char *argv[32];
  for (int i = 0; i < 32; i++)
    argv[i] = "a";
  uint64_t before = m->kmem.nfree;
  struct exec_result res;
  cr_assert_eq(run(elf, elf_len, 32, argv, &res), SIM_OK);
  cr_assert_eq(res.ret, -1);
  cr_assert_eq(m->kmem.nfree, before);
  cr_assert_eq(run(elf, elf_len, 31, argv, &res), SIM_OK);
  cr_assert_eq(res.ret, 31);
}

static uint64_t tf(unsigned off) {
  uint64_t v;
  cr_assert_eq(ram_load(&m->hw.ram, m->proc[slot].trapframe + off, 8, &v), 0);
  return v;
}

Test(exec, sets_the_trapframe_as_xv6_does) {
  cr_assert_eq(tf(TF_EPC), 0, "userinit: epc 0");
  cr_assert_eq(tf(TF_SP), PGSIZE, "userinit: sp PGSIZE");
  struct exec_result res;
  char *argv[] = {"init", "a"};
  cr_assert_eq(run(elf, elf_len, 2, argv, &res), SIM_OK);
  cr_assert_eq(tf(TF_EPC), 0, "epc = elf.entry (main, at va 0)");
  cr_assert_eq(tf(TF_SP), 0x4fc0, "sp below argv");
  cr_assert_eq(tf(TF_A1), 0x4fc0, "a1 = argv");
  cr_assert_eq(tf(TF_A0), 2, "a0 = argc, exec's return value");
  cr_assert_eq(tf(TF_A0 - 8), 0x0505050505050505ULL, "fields xv6 leaves alone keep kalloc's junk");
}
