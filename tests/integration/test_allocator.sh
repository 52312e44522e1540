#!/bin/bash
# tests/integration/test_allocator.sh: the programs run on the allocator the
# build chose (configure --with-jemalloc, config.h MP_ALLOCATOR): jemalloc in
# a normal build, glibc's malloc under a sanitizer or the fuzzer (ASan brings
# its own allocator and must not be mixed with another).  The check is of the
# running process, not of the link line: with MALLOC_CONF=stats_print:true
# jemalloc prints its statistics at exit, which only happens when jemalloc is
# the malloc the process actually uses.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib/tap.sh"
for prog in mailpulse mailpulsed; do
  [ -x "$top_builddir/$prog" ] || bail "no $prog binary in $top_builddir"
done
alloc=$(sed -n 's/^#define MP_ALLOCATOR "\(.*\)"$/\1/p' "$top_builddir/config.h")
[ -n "$alloc" ] || bail "config.h has no MP_ALLOCATOR"
for prog in mailpulse mailpulsed; do
  v=$("$top_builddir/$prog" --version)
  is "$v" "$prog 0.1.0 (allocator: $alloc)" "$prog --version names the allocator ($alloc)"
  stats=$(MALLOC_CONF=stats_print:true "$top_builddir/$prog" --version 2>&1 >/dev/null)
  linked=$(ldd "$top_builddir/$prog" | grep -c 'libjemalloc')
  if [ "$alloc" = jemalloc ]; then
    case "$stats" in *"jemalloc statistics"*) ok 0 "$prog: jemalloc is the running allocator" ;;
      *) ok 1 "$prog: jemalloc is the running allocator (no statistics at exit)" ;; esac
    is "$linked" 1 "$prog links libjemalloc once"
  else
    is "$stats" "" "$prog: glibc malloc ignores MALLOC_CONF (no jemalloc statistics)"
    is "$linked" 0 "$prog does not link libjemalloc (sanitizer or fuzzer build)"
  fi
done
done_testing
