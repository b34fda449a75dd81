# silo, medo and knot.  Plain 'make' needs no configure step; './configure'
# (from configure.ac) only writes config.mak.autogen, and a personal
# config.mak is read last.  'make V=1' shows whole commands.
#
#   make               build build/bin/silobox and its links silo, medo, knot
#                      (and the fuzz harnesses with their plain driver)
#   make test          install what is missing, build, run every test
#   make test SANITIZE=1   the same under ASan and UBSan (in build-san/)
#   make test-nonroot  as root: the suite again as an unprivileged user
#   make demo          install what is missing, build, run the main job once
#   make bench         install its extras, then benchmarks against tar,
#                      gzip, pigz and git
#   make install       PREFIX=/usr/local DESTDIR= (binaries, library, header,
#                      pkg-config file, man pages, bash completion; then
#                      ldconfig when root installs into the loader's path
#                      without DESTDIR)
#   make uninstall     PREFIX= DESTDIR= as for install: removes what it wrote
#   make DEVELOPER=1   also -Werror -Wshadow -Wmissing-prototypes
#   make fuzz FUZZ_SECONDS=N   build the fuzz harnesses of t/fuzz/ with
#                      clang's libFuzzer (in build-fuzz/) and run each for N
#                      seconds (default 60); new crashers land in build-fuzz/
#   make compile_commands.json   the compile commands, for editors (clangd)
#   make clean         remove builds and the trash directories that failed
#                      tests of this checkout kept

VERSION = 0.1.0
SOVERSION = 0

CC = cc
CFLAGS = -O2 -g
PREFIX = /usr/local
PKG_CONFIG = pkg-config
LDCONFIG = ldconfig
PROVE = prove
PROVE_FLAGS = -j2
# The slowest scripts first (as the last run measured them), so that the
# two jobs end together instead of one long script running alone last.
PROVE_STATE = --state=slow,save --statefile=$(CURDIR)/$(B)/prove-state
SCDOC = scdoc
PYTHON = python3

-include config.mak.autogen
-include config.mak

ifeq ($(SANITIZE),1)
B = build-san
SAN_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
else
B = build
SAN_FLAGS =
endif

PKGS = zlib libdeflate libarchive jansson libcrypto libcurl fuse3
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)

ifeq ($(DEVELOPER),1)
DEVELOPER_CFLAGS = -Werror -Wshadow -Wmissing-prototypes
else
DEVELOPER_CFLAGS =
endif

ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -Wall -Wextra -fPIC -pthread -MMD -MP \
	-Ilib -Icmd -I$(B)/gen -DSILO_VERSION='"$(VERSION)"' $(PKG_CFLAGS) $(SAN_FLAGS) \
	$(DEVELOPER_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = -pthread $(SAN_FLAGS) $(LDFLAGS)
LIBS = $(PKG_LIBS) $(EXTRA_LIBS)

LIB_SRC := $(sort $(wildcard lib/*.c))
CMD_SRC := $(sort $(wildcard cmd/*.c cmd/*/*.c))
UNIT_SRC := $(sort $(wildcard t/unit/*.c))
PUBLIC_HEADERS := lib/silo.h $(sort $(wildcard lib/silo/*.h))
DOC_SRC := $(sort $(wildcard Documentation/*.scd))
DOC_INCLUDES := $(sort $(wildcard Documentation/include/*.scd))

# The pages of medo web carry a script and a style sheet, built into the
# library from lib/web/.
WEB_ASSETS = lib/web/silo.css lib/web/silo.js
LIB_OBJ := $(LIB_SRC:%.c=$(B)/%.o) $(B)/gen/web-assets.o
CMD_OBJ := $(CMD_SRC:%.c=$(B)/%.o) $(B)/gen/fe-cmds.o
UNIT_BIN := $(UNIT_SRC:t/unit/%.c=$(B)/t/unit/%)
MAN_PAGES := $(DOC_SRC:Documentation/%.scd=$(B)/man/%)
# Generated from the pages by tools/gen-docs.py: each command's usage and
# options' help, the command tables, the pages as scdoc reads them, the
# bash completion.
GEN_DOCS := $(B)/gen/fe-cmds.h $(B)/gen/fe-cmds.c $(B)/gen/silobox.bash \
	$(DOC_SRC:Documentation/%=$(B)/gen/man/%)
FUZZ_SRC := $(filter-out t/fuzz/driver.c t/fuzz/fuzz-util.c,$(sort $(wildcard t/fuzz/*.c)))
FUZZ_NAMES := $(FUZZ_SRC:t/fuzz/%.c=%)
FUZZ_BIN := $(FUZZ_NAMES:%=$(B)/t/fuzz/%)
TOOLS = silo medo knot

ifneq ($(V),1)
QUIET_CC = @echo '    CC' $@;
QUIET_LINK = @echo '    LINK' $@;
QUIET_AR = @echo '    AR' $@;
QUIET_GEN = @echo '    GEN' $@;
endif

.PHONY: all fuzz fuzz-build check test demo bench deps doc install uninstall clean check-headers check-install \
	check-nonroot test-nonroot compile_commands.json FORCE
.DELETE_ON_ERROR:

# The fuzz harnesses too, with their plain driver: t0005 runs them.
all: $(B)/bin/silobox $(TOOLS:%=$(B)/bin/%) $(B)/gen/silobox.bash $(FUZZ_BIN)

# Changed flags rebuild everything.
$(B)/FLAGS: FORCE
	@mkdir -p $(B)
	@echo '$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $(LIBS)' > $@.new
	@if cmp -s $@.new $@; then rm $@.new; else mv $@.new $@; fi

$(B)/%.o: %.c $(B)/FLAGS
	@mkdir -p $(dir $@)
	$(QUIET_CC)$(CC) $(ALL_CFLAGS) -c -o $@ $<

# One run of the generator writes every file of GEN_DOCS whose content
# changed, and leaves the others as they were, so that editing a page's
# prose rebuilds its man page only.  The stamp records the run; a file of
# GEN_DOCS removed since is written again.
GEN_DOCS_CMD = $(PYTHON) tools/gen-docs.py --completion contrib/completion/silobox.bash \
	Documentation $(B)/gen
$(B)/gen/stamp: tools/gen-docs.py contrib/completion/silobox.bash $(DOC_SRC) $(DOC_INCLUDES)
	@mkdir -p $(dir $@)
	$(QUIET_GEN)$(GEN_DOCS_CMD) && touch $@
$(GEN_DOCS): $(B)/gen/stamp
	@test -f $@ || $(GEN_DOCS_CMD)

$(B)/gen/fe-cmds.o: $(B)/gen/fe-cmds.c $(B)/FLAGS
	$(QUIET_CC)$(CC) $(ALL_CFLAGS) -c -o $@ $<

# Every front-end file sees the generated declarations.
$(CMD_OBJ): $(B)/gen/fe-cmds.h

$(B)/gen/web-assets.c: $(WEB_ASSETS) tools/embed-assets.sh
	@mkdir -p $(dir $@)
	$(QUIET_GEN)sh tools/embed-assets.sh $(WEB_ASSETS) >$@+ && mv $@+ $@

$(B)/gen/web-assets.o: $(B)/gen/web-assets.c $(B)/FLAGS
	$(QUIET_CC)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/libsilo.a: $(LIB_OBJ)
	$(QUIET_AR)rm -f $@ && $(AR) rcs $@ $^

$(B)/libsilo.so.$(VERSION): $(LIB_OBJ)
	$(QUIET_LINK)$(CC) -shared -Wl,-soname,libsilo.so.$(SOVERSION) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(B)/bin/silobox: $(CMD_OBJ) $(B)/libsilo.a
	@mkdir -p $(dir $@)
	$(QUIET_LINK)$(CC) $(ALL_LDFLAGS) -o $@ $(CMD_OBJ) $(B)/libsilo.a $(LIBS)

$(TOOLS:%=$(B)/bin/%): $(B)/bin/silobox
	@ln -sf silobox $@

$(B)/t/unit/%: t/unit/%.c $(B)/libsilo.a $(B)/FLAGS
	@mkdir -p $(dir $@)
	$(QUIET_LINK)$(CC) $(ALL_CFLAGS) -It/unit $(ALL_LDFLAGS) -o $@ $< $(B)/libsilo.a $(LIBS)

# A fuzz harness with libFuzzer's main (FUZZ_ENGINE=1, clang) or with
# t/fuzz/driver.c, which runs the inputs it is given (any compiler).
ifeq ($(FUZZ_ENGINE),1)
FUZZ_MAIN = -fsanitize=fuzzer
else
FUZZ_MAIN = t/fuzz/driver.c
endif
$(B)/t/fuzz/%: t/fuzz/%.c t/fuzz/fuzz.h t/fuzz/fuzz-util.c t/fuzz/driver.c $(B)/libsilo.a $(B)/FLAGS
	@mkdir -p $(dir $@)
	$(QUIET_LINK)$(CC) $(ALL_CFLAGS) -It/fuzz $(ALL_LDFLAGS) -o $@ $< t/fuzz/fuzz-util.c \
		$(FUZZ_MAIN) $(B)/libsilo.a $(LIBS)

fuzz-build: $(FUZZ_BIN)

# Each harness for FUZZ_SECONDS on one core, from a scratch copy of its
# seed corpus (t/fuzz/NAME/, kept small), so that new inputs stay out of
# the tree; a finding stops the run and is left as build-fuzz/NAME-crash-*
# (keep it in t/fuzz/NAME/ once fixed: 'make test' runs it).  Scratch files
# go to /dev/shm when it is writable: readers that take a path are ten
# times faster there.
FUZZ_SECONDS = 60
FUZZ_CC = clang
fuzz:
	@command -v $(FUZZ_CC) >/dev/null || { echo 'fuzz: $(FUZZ_CC) is missing' >&2; exit 1; }
	@$(MAKE) --no-print-directory B=build-fuzz CC=$(FUZZ_CC) FUZZ_ENGINE=1 \
		SAN_FLAGS='-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer' \
		fuzz-build
	@for h in $(FUZZ_NAMES); do \
		rm -rf build-fuzz/corpus/$$h && mkdir -p build-fuzz/corpus/$$h && \
		echo "fuzz: $$h for $(FUZZ_SECONDS) s" && \
		TMPDIR=$$(test -w /dev/shm && echo /dev/shm || echo "$${TMPDIR:-/tmp}") \
		build-fuzz/t/fuzz/$$h -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 \
			-artifact_prefix=build-fuzz/$$h- -print_final_stats=1 \
			build-fuzz/corpus/$$h t/fuzz/$$h 2>build-fuzz/$$h.log || \
			{ tail -40 build-fuzz/$$h.log >&2; exit 1; }; \
		grep -h 'stat::number_of_executed_units' build-fuzz/$$h.log; \
	done

# Each public header must compile alone.
check-headers: $(B)/FLAGS
	@for h in $(PUBLIC_HEADERS); do \
		echo "#include \"$${h#lib/}\"" | $(CC) $(ALL_CFLAGS) -MF /dev/null -x c -fsyntax-only - || exit 1; \
	done

# One entry per C file, from the same variables as the build (no external
# tool): for clangd and other editors.  Always written anew.
comma := ,
json_str = "$(subst ",\",$(subst \,\\,$(1)))"
CC_SRC = $(LIB_SRC) $(CMD_SRC) $(UNIT_SRC)
cc_entry = {"directory": $(call json_str,$(CURDIR)), "file": $(call json_str,$(1)), \
"command": $(call json_str,$(CC) $(ALL_CFLAGS) $(if $(filter t/unit/%,$(1)),-It/unit) \
-c -o $(B)/$(1:.c=.o) $(1))}

compile_commands.json:
	$(QUIET_GEN)
	$(file >$@.new,[)
	$(foreach f,$(CC_SRC),$(file >>$@.new,  $(call cc_entry,$f)$(if $(filter $f,$(lastword $(CC_SRC))),,$(comma))))
	$(file >>$@.new,])
	@mv $@.new $@

$(B)/man/%: $(B)/gen/man/%.scd
	@mkdir -p $(dir $@)
	$(QUIET_GEN)$(SCDOC) < $< > $@

doc: $(MAN_PAGES)

deps:
	@sh tools/install-deps.sh

# 'make test' first installs what a fresh machine lacks, then runs the
# suite in a second make, which sees the newly installed libraries.
test: deps
	@$(MAKE) --no-print-directory check

# Install into a scratch root and build a program against what was
# installed, through its pkg-config file; read a page with man and load
# the completion as bash-completion would (both installed by make deps);
# then uninstall, which must leave nothing.
INST = $(CURDIR)/$(B)/install-check
check-install: all
	@rm -rf $(INST)
	@$(MAKE) --no-print-directory -s install DESTDIR=$(INST) PREFIX=/usr >/dev/null
	@MANPATH=$(INST)/usr/share/man man -P cat medo-expand 2>&1 | grep -q '^ *medo expand \[' || \
		{ echo 'check-install: man does not show the installed medo-expand(1)' >&2; exit 1; }
	@test "$$(XDG_DATA_DIRS=$(INST)/usr/share bash -c '. /usr/share/bash-completion/bash_completion && \
		__load_completion medo && complete -p medo')" = 'complete -F _silobox medo' || \
		{ echo 'check-install: bash-completion does not load the installed completion of medo' >&2; exit 1; }
	@$(CC) $(SAN_FLAGS) -o $(B)/install-check/sample t/install/sample.c \
		$$(PKG_CONFIG_PATH=$(INST)/usr/lib/pkgconfig $(PKG_CONFIG) \
		   --define-variable=prefix=$(INST)/usr --cflags --libs silo)
	@test "$$(LD_LIBRARY_PATH=$(INST)/usr/lib $(B)/install-check/sample)" = \
		e69de29bb2d1d6434b8b29ae775ad8c2e48c5391 || \
		{ echo 'check-install: the installed library does not work' >&2; exit 1; }
	@for f in bin/silo bin/medo bin/knot include/silo.h include/silo/store.h \
		lib/libsilo.so lib/libsilo.a share/man/man1/silo-put.1 share/man/man5/silo-layout.5 \
		share/bash-completion/completions/silo share/bash-completion/completions/medo \
		share/bash-completion/completions/knot; do \
		test -e $(INST)/usr/$$f || { echo "check-install: $$f was not installed" >&2; exit 1; }; \
	done
	@rm -f $(B)/install-check/sample
	@$(MAKE) --no-print-directory -s uninstall DESTDIR=$(INST) PREFIX=/usr >/dev/null
	@left=$$(find $(INST) -mindepth 1 2>/dev/null); test -z "$$left" || \
		{ echo "check-install: make uninstall left:" $$left >&2; exit 1; }
	@rm -rf $(INST)

# Ends with how many tests were skipped and why (tools/test-skips.sh).
check: all $(UNIT_BIN) $(FUZZ_BIN) check-headers doc check-install
	@rm -f $(B)/test-skips
	SILO_BUILD_DIR=$(CURDIR)/$(B) SILO_TEST_SKIPS=$(CURDIR)/$(B)/test-skips \
		$(PROVE) $(PROVE_FLAGS) $(PROVE_STATE) t/t[0-9][0-9][0-9][0-9]-*.sh $(UNIT_BIN); \
		s=$$?; sh tools/test-skips.sh $(B)/test-skips; exit $$s

# Run as root, the suite once more as uid 65534, so that no test passes
# only because root may write read-only files (tools/check-nonroot.sh);
# as another user it says why it skips.  CI runs it after 'make test'.
check-nonroot: all $(UNIT_BIN) $(FUZZ_BIN)
	@PROVE='$(PROVE)' PROVE_FLAGS='$(PROVE_FLAGS)' sh tools/check-nonroot.sh $(B) $(UNIT_BIN)

test-nonroot: deps
	@$(MAKE) --no-print-directory check-nonroot

demo: deps
	@$(MAKE) --no-print-directory all
	@SILO_BUILD_DIR=$(CURDIR)/$(B) sh tools/demo.sh

# The benchmark's peers (pigz, hyperfine, time) are not needed by tests.
bench:
	@sh tools/install-deps.sh --bench
	@$(MAKE) --no-print-directory all
	@SILO_BUILD_DIR=$(CURDIR)/$(B) sh tools/bench.sh $(B)/benchmarks.md

$(B)/silo.pc: $(B)/FLAGS
	$(QUIET_GEN)printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$${prefix}/lib' \
		'includedir=$${prefix}/include' '' 'Name: silo' \
		'Description: content-addressed silos of directory trees named in git' \
		'Version: $(VERSION)' 'Requires.private: $(PKGS)' \
		'Libs: -L$${libdir} -lsilo' 'Cflags: -I$${includedir}' > $@

install: all $(B)/libsilo.a $(B)/libsilo.so.$(VERSION) $(B)/silo.pc doc
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig \
		$(DESTDIR)$(PREFIX)/include/silo $(DESTDIR)$(PREFIX)/share/man/man1 \
		$(DESTDIR)$(PREFIX)/share/man/man5 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 755 $(B)/bin/silobox $(DESTDIR)$(PREFIX)/bin/silobox
	for t in $(TOOLS); do ln -sf silobox $(DESTDIR)$(PREFIX)/bin/$$t; done
	install -m 644 $(B)/libsilo.a $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(B)/libsilo.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/
	ln -sf libsilo.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libsilo.so.$(SOVERSION)
	ln -sf libsilo.so.$(SOVERSION) $(DESTDIR)$(PREFIX)/lib/libsilo.so
	install -m 644 lib/silo.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 lib/silo/*.h $(DESTDIR)$(PREFIX)/include/silo/
	install -m 644 $(B)/silo.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/
	install -m 644 $(B)/gen/silobox.bash \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/silo
	for t in medo knot silobox; do \
		ln -sf silo $(DESTDIR)$(PREFIX)/share/bash-completion/completions/$$t; \
	done
	for m in $(MAN_PAGES); do \
		s=$${m##*.}; install -d $(DESTDIR)$(PREFIX)/share/man/man$$s; \
		install -m 644 $$m $(DESTDIR)$(PREFIX)/share/man/man$$s/; \
	done
	@# Without this, libsilo.so.0 in a directory of the loader's path is
	@# not found until the next ldconfig: run it, as packages do.
	@if [ -z '$(DESTDIR)' ] && [ "$$(id -u)" -eq 0 ]; then \
		libdir=$$(readlink -f '$(PREFIX)/lib'); \
		for d in /lib /usr/lib $$($(LDCONFIG) -N -v 2>/dev/null | sed -n 's,^\(/[^:]*\):.*,\1,p'); do \
			if [ "$$(readlink -f "$$d")" = "$$libdir" ]; then \
				echo '$(LDCONFIG)'; $(LDCONFIG) || exit 1; break; \
			fi; \
		done; \
	fi

# What install wrote, and the directories of its own it made when they
# are left empty; in a DESTDIR, every directory left empty there.
uninstall:
	rm -f $(TOOLS:%=$(DESTDIR)$(PREFIX)/bin/%) $(DESTDIR)$(PREFIX)/bin/silobox \
		$(DESTDIR)$(PREFIX)/lib/libsilo.a $(DESTDIR)$(PREFIX)/lib/libsilo.so.$(VERSION) \
		$(DESTDIR)$(PREFIX)/lib/libsilo.so.$(SOVERSION) $(DESTDIR)$(PREFIX)/lib/libsilo.so \
		$(DESTDIR)$(PREFIX)/include/silo.h \
		$(patsubst lib/silo/%,$(DESTDIR)$(PREFIX)/include/silo/%,$(wildcard lib/silo/*.h)) \
		$(DESTDIR)$(PREFIX)/lib/pkgconfig/silo.pc \
		$(patsubst %,$(DESTDIR)$(PREFIX)/share/bash-completion/completions/%,silo medo knot silobox) \
		$(foreach m,$(DOC_SRC:Documentation/%.scd=%),$(DESTDIR)$(PREFIX)/share/man/man$(subst .,,$(suffix $m))/$m)
	@for d in include/silo lib/pkgconfig share/bash-completion/completions share/bash-completion; do \
		if [ -d '$(DESTDIR)$(PREFIX)'/$$d ]; then rmdir --ignore-fail-on-non-empty '$(DESTDIR)$(PREFIX)'/$$d || exit 1; fi; \
	done
	@if [ -n '$(DESTDIR)' ]; then \
		if [ -d '$(DESTDIR)' ]; then find '$(DESTDIR)' -depth -type d -empty -delete; fi; \
	elif [ "$$(id -u)" -eq 0 ]; then \
		$(LDCONFIG); \
	fi

# A failed test keeps its trash directory in $TMPDIR (t/test-lib.sh), with
# a file naming the t/ directory it came from: remove only this checkout's.
clean:
	rm -rf build build-san build-fuzz compile_commands.json compile_commands.json.new
	@t=$$(cd t && pwd -P); for d in "$${TMPDIR:-/tmp}"/silo-test.*; do \
		if [ -d "$$d" ] && [ "$$(cat "$$d/.test-source" 2>/dev/null)" = "$$t" ]; then \
			echo "rm -rf $$d"; rm -rf "$$d"; \
		fi; \
	done

-include $(LIB_OBJ:.o=.d) $(CMD_OBJ:.o=.d)
