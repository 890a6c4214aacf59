#include "sv39sim/xv6/exec.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sv39sim/xv6/elf.h"
#include "sv39sim/xv6/kalloc.h"
#include "sv39sim/xv6/machine.h"
#include "sv39sim/xv6/proc.h"
#include "sv39sim/sv39.h"
#include "sv39sim/xv6/vm.h"


struct elfhdr {
  uint32_t magic;
  uint64_t entry, phoff;
  uint16_t phnum;
};

struct proghdr {
  uint32_t type, flags;
  uint64_t off, vaddr, filesz, memsz;
};

// The inode being executed, read the way readi reads: 32-bit offsets, short reads at
// the end of the file.
struct inode {
  const uint8_t *data;
  uint32_t size;
};

// Copy n bytes from off into dst; the bytes copied, fewer at the end, 0 past it.
static uint32_t readi(const struct inode *ip, void *dst, uint32_t off, uint32_t n) {
  if (off > ip->size || off + n < off)
    return 0;
  if (off + n > ip->size)
    n = ip->size - off;
  memcpy(dst, ip->data + off, n);
  return n;
}

// Little-endian fields of size bytes, as the ELF file holds them.
static void put_le(uint8_t *p, int size, uint64_t v) {
  for (int i = 0; i < size; i++)
    p[i] = (uint8_t)(v >> (8 * i));
}

// The ELF and program headers' fields exec reads, from their file bytes.
static void parse_elfhdr(const uint8_t *b, struct elfhdr *h) {
  h->magic = (uint32_t)elf_get_le(b, 4);
  h->entry = elf_get_le(b + 24, 8);
  h->phoff = elf_get_le(b + 32, 8);
  h->phnum = (uint16_t)elf_get_le(b + 56, 2);
}

static void parse_proghdr(const uint8_t *b, struct proghdr *ph) {
  ph->type = (uint32_t)elf_get_le(b, 4);
  ph->flags = (uint32_t)elf_get_le(b + 4, 4);
  ph->off = elf_get_le(b + 8, 8);
  ph->vaddr = elf_get_le(b + 16, 8);
  ph->filesz = elf_get_le(b + 32, 8);
  ph->memsz = elf_get_le(b + 40, 8);
}

static void why(struct exec_result *res, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void why(struct exec_result *res, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(res->why, sizeof(res->why), fmt, ap);
  va_end(ap);
}

// Copy the segment's file bytes into the pages uvmalloc mapped. SIM_FAIL on a short read.
static int loadseg(struct machine *m, uint64_t pagetable, uint64_t va,
                   const struct inode *ip, uint32_t offset, uint32_t sz) {
  KFRAME(m, "loadseg");
  uint8_t buf[PGSIZE];
  for (uint32_t i = 0; i < sz; i += PGSIZE) {
    uint64_t pa;
    int r = vm_walkaddr(m, pagetable, va + i, &pa);
    if (r == SIM_FAIL)
      return machine_panic(m, "loadseg: address should exist", "va 0x%016llx",
                           (unsigned long long)(va + i));
    if (r != SIM_OK)
      return r;
    uint32_t n = sz - i < PGSIZE ? sz - i : (uint32_t)PGSIZE;
    if (readi(ip, buf, offset + i, n) != n)
      return SIM_FAIL;
    if (ram_write(&m->hw.ram, pa, buf, n) != 0)
      return machine_panic(m, "kerneltrap", "loadseg: pa 0x%016llx is not in RAM",
                           (unsigned long long)pa);
  }
  return SIM_OK;
}

// Mode 3: replace the old image's mirror in the process's kernel table by the new one's.
// SIM_FAIL when out of memory, with the old mirror back in place.
static int swap_mirror(struct machine *m, struct proc *p, uint64_t pagetable, uint64_t sz,
                       uint64_t oldsz) {
  int r = vm_uvmunmap(m, p->kpagetable, 0, PGROUNDUP(oldsz) / PGSIZE, 0);
  if (r != SIM_OK)
    return r;
  r = vm_u2kvmcopy(m, pagetable, p->kpagetable, 0, sz);
  if (r != SIM_FAIL)
    return r;
  // The old mirror's page-table pages were never freed, so putting it back needs none.
  r = vm_u2kvmcopy(m, p->pagetable, p->kpagetable, 0, oldsz);
  if (r == SIM_FAIL)
    return machine_panic(m, "kvmmap", "%s: cannot restore the old image's mirror",
                         m->cfg.edition->names.exec);
  return r == SIM_OK ? SIM_FAIL : r;
}

// exec itself; argv[0..nargs) are the argument strings (in kernel pages that sys_exec
// took, or forkret's constant). SIM_OK with
// res->ret = argc, or SIM_FAIL where exec returns -1 (res->why says which check failed),
// the new table freed and the old image untouched.
static int exec(struct machine *m, int slot, const struct inode *ip, const char *path,
                int nargs, char *const argv[], struct exec_result *res) {
  KFRAME(m, m->cfg.edition->names.exec);
  struct proc *p = &m->proc[slot];
  const struct xv6_edition *ed = m->cfg.edition;
  uint64_t sz = 0, sz1, sp, stackbase, pagetable = 0;
  uint64_t ustack[MAXARG + 1];
  uint8_t hdr[ELFHDR_SIZE], phbuf[PROGHDR_SIZE];
  struct elfhdr elf;
  uint64_t argc;
  int r;

  res->ret = -1;
  if (readi(ip, hdr, 0, ELFHDR_SIZE) != ELFHDR_SIZE) {
    why(res, "the file is shorter than an ELF header");
    goto bad;
  }
  parse_elfhdr(hdr, &elf);
  if (elf.magic != ELF_MAGIC) {
    why(res, "bad ELF magic");
    goto bad;
  }
  if ((r = proc_pagetable(m, slot, &pagetable)) == SIM_FAIL) {
    why(res, "out of memory for the new page table");
    goto bad;
  }
  if (r != SIM_OK)
    return r;

  int i;
  uint32_t off;
  for (i = 0, off = (uint32_t)elf.phoff; i < elf.phnum; i++, off += PROGHDR_SIZE) {
    struct proghdr ph;
    if (readi(ip, phbuf, off, PROGHDR_SIZE) != PROGHDR_SIZE) {
      why(res, "program header %d lies past the end of the file", i);
      goto bad;
    }
    parse_proghdr(phbuf, &ph);
    if (ph.type != ELF_PROG_LOAD)
      continue;
    if (ph.memsz < ph.filesz) {
      why(res, "segment %d: memsz < filesz", i);
      goto bad;
    }
    if (ph.vaddr + ph.memsz < ph.vaddr) {
      why(res, "segment %d: vaddr + memsz overflows", i);
      goto bad;
    }
    if (m->cfg.kpt == KPT_PER_PROCESS_USER && ph.vaddr + ph.memsz >= PLIC) {
      why(res, "segment %d: user memory would reach PLIC", i);
      goto bad;
    }
    if (ed->vaddr_check_first && ph.vaddr % PGSIZE != 0) {
      why(res, "segment %d: vaddr 0x%llx is not page-aligned", i,
          (unsigned long long)ph.vaddr);
      goto bad;
    }
    r = vm_uvmalloc(m, pagetable, sz, ph.vaddr + ph.memsz, ed->segment_perm(ph.flags), &sz1);
    if (r == SIM_FAIL) {
      why(res, "segment %d: uvmalloc failed (out of memory)", i);
      goto bad;
    }
    if (r != SIM_OK)
      return r;
    sz = sz1;
    if (ph.vaddr % PGSIZE != 0) {
      why(res, "segment %d: vaddr 0x%llx is not page-aligned", i,
          (unsigned long long)ph.vaddr);
      goto bad;
    }
    r = loadseg(m, pagetable, ph.vaddr, ip, (uint32_t)ph.off, (uint32_t)ph.filesz);
    if (r == SIM_PANIC)
      return r;
    if (r != SIM_OK) {
      why(res, "segment %d: its file bytes lie past the end of the file", i);
      goto bad;
    }
  }

  uint64_t oldsz = p->sz;
  // At the next page boundary, the guard page and above it the user stack's pages.
  uint64_t stack_bytes = (ed->ustack_pages + 1) * PGSIZE;
  sz = PGROUNDUP(sz);
  if (m->cfg.kpt == KPT_PER_PROCESS_USER && sz + stack_bytes >= PLIC) {
    why(res, "the stack would reach PLIC");
    goto bad;
  }
  if ((r = vm_uvmalloc(m, pagetable, sz, sz + stack_bytes, ed->uvm_perm, &sz1)) == SIM_FAIL) {
    why(res, "uvmalloc of the stack failed (out of memory)");
    goto bad;
  }
  if (r != SIM_OK)
    return r;
  sz = sz1;
  if ((r = vm_uvmclear(m, pagetable, sz - stack_bytes)) != SIM_OK)
    return r;
  sp = sz;
  stackbase = sp - ed->ustack_pages * PGSIZE;

  for (argc = 0; argc < (uint64_t)nargs; argc++) {
    if (argc >= MAXARG) {
      why(res, "more than %d arguments", MAXARG);
      goto bad;
    }
    const char *arg = argv[argc];
    uint64_t len = strnlen(arg, PGSIZE - 1) + 1;
    sp -= len;
    sp -= sp % 16; // riscv sp must be 16-byte aligned
    if (sp < stackbase) {
      why(res, "the arguments do not fit in the stack page");
      goto bad;
    }
    if ((r = vm_copyout(m, pagetable, sp, arg, len)) == SIM_PANIC)
      return r;
    if (r != SIM_OK) {
      why(res, "copyout of argument %llu failed", (unsigned long long)argc);
      goto bad;
    }
    ustack[argc] = sp;
  }
  ustack[argc] = 0;

  sp -= (argc + 1) * sizeof(uint64_t);
  sp -= sp % 16;
  if (sp < stackbase) {
    why(res, "the argv array does not fit in the stack page");
    goto bad;
  }
  uint8_t ubytes[sizeof(ustack)];
  for (uint64_t k = 0; k <= argc; k++)
    put_le(ubytes + 8 * k, 8, ustack[k]);
  if ((r = vm_copyout(m, pagetable, sp, ubytes, (argc + 1) * sizeof(uint64_t))) ==
      SIM_PANIC)
    return r;
  if (r != SIM_OK) {
    why(res, "copyout of the argv array failed");
    goto bad;
  }

  // The argv pointer is main's second argument; argc comes back in a0 as exec's result.
  proc_tf_write(m, slot, TF_A1, sp);

  const char *last = path;
  for (const char *s = path; *s; s++) {
    if (*s == '/')
      last = s + 1;
  }
  snprintf(p->name, sizeof(p->name), "%s", last);

  if (m->cfg.kpt == KPT_PER_PROCESS_USER) {
    if ((r = swap_mirror(m, p, pagetable, sz, oldsz)) == SIM_FAIL) {
      why(res, "out of memory mirroring the new image into the kernel table");
      goto bad;
    }
    if (r != SIM_OK)
      return r;
  }

  // Commit to the user image.
  uint64_t oldpagetable = p->pagetable;
  p->pagetable = pagetable;
  p->sz = sz;
  p->has_guard = true;
  p->guard_va = stackbase - PGSIZE;
  if ((r = proc_freepagetable(m, oldpagetable, oldsz)) != SIM_OK)
    return r;
  proc_tf_write(m, slot, TF_EPC, elf.entry);
  proc_tf_write(m, slot, TF_SP, sp);
  res->ret = (int)argc;
  return SIM_OK;

bad:
  if (pagetable != 0 && (r = proc_freepagetable(m, pagetable, sz)) != SIM_OK)
    return r;
  res->ret = -1;
  return SIM_FAIL;
}

int exec_sys_exec(struct machine *m, int slot, const uint8_t *file, uint64_t len,
                  const char *path, int argc, char *const argv[], struct exec_result *res) {
  uint64_t argv_pa[MAXARG + 1];
  int i;
  // 2025's pid 1: forkret calls kexec in the kernel, its argv a constant (no pages).
  bool kexec = m->first_kexec && slot == m->initproc;
  m->first_kexec = m->first_kexec && !kexec;
  // sys_exec's entry, or forkret's (which calls kexec in the kernel).
  KFRAME(m, kexec ? "forkret" : "usertrap");
  KFRAME(m, kexec ? NULL : "syscall");
  KFRAME(m, kexec ? NULL : "sys_exec");

  memset(argv_pa, 0, sizeof(argv_pa));
  res->ret = -1;
  res->why[0] = '\0';
  for (i = 0; i < argc; i++) {
    if (i >= MAXARG) {
      why(res, "more than %d arguments", MAXARG - 1);
      goto out;
    }
    size_t n = strlen(argv[i]);
    if (!kexec) {
      argv_pa[i] = kmem_kalloc(m);
      if (argv_pa[i] == 0) {
        if (m->halted)
          return SIM_PANIC;
        why(res, "out of memory for argument %d", i);
        goto out;
      }
    }
    if (n >= PGSIZE) {
      why(res, "argument %d is longer than a page", i);
      goto out;
    }
    if (!kexec)
      ram_write(&m->hw.ram, argv_pa[i], argv[i], n + 1);
  }
  if (i >= MAXARG) {
    why(res, "more than %d arguments", MAXARG - 1);
    goto out;
  }
  struct inode ip = {file, len > UINT32_MAX ? UINT32_MAX : (uint32_t)len};
  if (exec(m, slot, &ip, path, argc, argv, res) == SIM_PANIC)
    return SIM_PANIC;
out:
  for (i = 0; i < MAXARG && argv_pa[i] != 0; i++) {
    if (kmem_kfree(m, argv_pa[i]) != SIM_OK)
      return SIM_PANIC;
  }
  if (kexec && res->ret < 0)
    return machine_panic(m, "exec", "forkret: %s(\"%s\") returned -1 (%s)",
                         m->cfg.edition->names.exec, path, res->why);
  proc_tf_write(m, slot, TF_A0, (uint64_t)(int64_t)res->ret); // syscall(): a0 = result
  return SIM_OK;
}

uint8_t *exec_synthetic_image(uint64_t size, uint64_t *len) {
  *len = ELFHDR_SIZE + (size > 0 ? PROGHDR_SIZE : 0);
  uint8_t *b = calloc(1, *len);
  if (b == NULL)
    return NULL;
  put_le(b, 4, ELF_MAGIC);
  b[4] = 2;                    // ELFCLASS64
  b[5] = 1;                    // little-endian
  b[6] = 1;                    // version
  put_le(b + 16, 2, 2);        // ET_EXEC
  put_le(b + 18, 2, ELF_MACHINE_RISCV);
  put_le(b + 20, 4, 1);
  put_le(b + 32, 8, ELFHDR_SIZE);
  put_le(b + 52, 2, ELFHDR_SIZE);
  put_le(b + 54, 2, PROGHDR_SIZE);
  put_le(b + 56, 2, size > 0 ? 1 : 0);
  if (size > 0) {
    uint8_t *ph = b + ELFHDR_SIZE;
    put_le(ph, 4, ELF_PROG_LOAD);
    put_le(ph + 4, 4, 7);      // RWX
    put_le(ph + 40, 8, size);  // memsz; offset, vaddr and filesz stay 0
    put_le(ph + 48, 8, PGSIZE);
  }
  return b;
}
