#!/usr/bin/env python3
"""Generate --help, the manual pages and the bash completion from one source.

Each command's page, Documentation/<tool>-<command>.1.scd, is its one
source: its SYNOPSIS lines are the usage lines, the entries of its OPTIONS
section name its options, and a help line below each entry's header is
what --help prints for that option.  Each tool's page, Documentation/
<tool>.1.scd, lists its commands under COMMANDS the same way.  The options
every command takes (-q, --progress, -h) are documented once, in
Documentation/include/common-options.scd.

	python3 tools/gen-docs.py [--completion LOGIC] DOC_DIR OUT_DIR
		writes OUT_DIR/fe-cmds.h and OUT_DIR/fe-cmds.c (the usage text
		and option names of every command, and the command tables),
		OUT_DIR/man/<page>.scd (each page as scdoc reads it) and, with
		--completion, OUT_DIR/silobox.bash (the completion's data, then
		the script LOGIC); a file whose content is unchanged is not
		written again, so that make rebuilds only what changed
	python3 tools/gen-docs.py --print-help DOC_DIR TOOL [COMMAND]
		prints what 'TOOL [COMMAND] --help' prints
	python3 tools/gen-docs.py --check DOC_DIR...
		checks each directory of pages, and writes nothing

A page that breaks a rule below is an error naming the file, the line and
the rule; nothing is written then.

The source's rules (HACKING says how to add a command or an option):

- An option entry's header names its options, separated by ", ":
  *-x*, *--long*, *-x*, *--long*=_arg_, *-x* _arg_, *--long*=*a*|*b*,
  *--long*[=*a*|*b*] (a value that may be left out).
  A short name followed by a long one is one option.  An item that is not
  an option (*--silo*=_dir_, _silo_) is shown but names nothing.
- Right below the header, a line "; help" for each option: what --help
  prints.  When the header names several options, each line names its
  option first: "; --no-progress: never show progress".  scdoc reads
  these lines as comments; the generated pages leave them out.
- A page may document -q, --progress or -h itself (without a help line):
  its entry then replaces the common one, in the common place.
- A tool page's COMMANDS entries are *<tool>-<command>*(1) with one help
  line: the summary its --help prints.
"""

import os
import re
import sys

COMMON = os.path.join("include", "common-options.scd")
OPTION_WIDTH = 26
COMMAND_WIDTH = 12


class PageError(Exception):
    pass


def fail(path, lineno, msg):
    where = "%s:%d" % (path, lineno) if lineno else path
    raise PageError("%s: %s" % (where, msg))


class Page:
    """A page source: its title and its sections, each with line numbers."""

    def __init__(self, path):
        self.path = path
        with open(path, encoding="utf-8") as f:
            text = f.read()
        self.text = text
        self.lines = text.split("\n")
        if self.lines and self.lines[-1] == "":
            self.lines.pop()
        base = os.path.basename(path)
        m = re.fullmatch(r"(.+)\.([1-9])\.scd", base)
        self.name, self.section = (m.group(1), m.group(2)) if m else (base, "")
        # [heading, number of the heading's line, [(lineno, line)...]]
        self.sections = []
        for i, line in enumerate(self.lines, 1):
            if line.startswith("# "):
                self.sections.append([line[2:], i, []])
            elif self.sections:
                self.sections[-1][2].append((i, line))

    def section_body(self, heading):
        for h, _, body in self.sections:
            if h == heading:
                return body
        return None

    def need(self, heading):
        body = self.section_body(heading)
        if body is None:
            fail(self.path, 0, "no %s section" % heading)
        return body


def nonblank(body):
    return [(n, l) for n, l in body if l.strip()]


class Option:
    def __init__(self, short, long, arg, optional=False):
        self.short, self.long, self.arg = short, long, arg
        self.optional = optional  # --long[=arg]
        self.help = None

    def key(self):
        return "--" + self.long if self.long else "-" + self.short

    def left(self):
        """The left column of --help: "-j, --jobs=<n>", "    --silo=<dir>"."""
        if self.short and self.long:
            s = "-%s, --%s" % (self.short, self.long)
        elif self.short:
            s = "-" + self.short
        else:
            s = "    --" + self.long
        if self.optional:
            s += "[=" + self.arg + "]"
        elif self.arg:
            s += ("=" if self.long else " ") + self.arg
        return s


def placeholder_text(path, lineno, text):
    """_dir_ -> <dir>, *tar*|*tree* -> tar|tree; anything else is kept."""
    out = re.sub(r"_([A-Za-z0-9][A-Za-z0-9/.-]*)_", r"<\1>", text)
    out = re.sub(r"\*([^*]+)\*", r"\1", out)
    if not out or "_" in out or "*" in out or " " in out:
        fail(path, lineno, "cannot read the argument %r" % text)
    return out


OPT_ITEM = re.compile(r"\*(--?)([A-Za-z0-9][A-Za-z0-9-]*)\*(?:(\[=|[= ])(.*))?")


def parse_header(path, lineno, header):
    """The options an entry's header names, in order."""
    opts = []
    pending = None  # a short option that a long one may follow
    for item in header.split(", "):
        m = OPT_ITEM.fullmatch(item)
        if not m:
            if re.fullmatch(r"_[A-Za-z0-9-]+_", item):
                continue  # an argument that may stand instead
            fail(path, lineno, "cannot read %r in the entry %r" % (item, header))
        dashes, name, sep, arg = m.groups()
        optional = sep == "[="
        if optional:
            # *--long*[=_arg_]: a value that may be left out
            if dashes != "--" or not arg.endswith("]"):
                fail(path, lineno, "write *--long*[=_arg_], not %r" % item)
            arg, sep = arg[:-1], "="
        if arg is not None:
            if (dashes == "-") != (sep == " "):
                fail(path, lineno, "write *-x* _arg_ or *--long*=_arg_, not %r" % item)
            arg = placeholder_text(path, lineno, arg)
        if dashes == "-":
            if len(name) != 1:
                fail(path, lineno, "a short option is one character: %r" % item)
            if pending:
                opts.append(pending)
            pending = Option(name, None, arg)
            continue
        if optional and pending:
            fail(path, lineno, "an optional value needs a long option alone: %r" % item)
        if pending:
            if pending.arg and arg and pending.arg != arg:
                fail(path, lineno, "-%s and --%s take different arguments" % (pending.short, name))
            pending.long, pending.arg = name, arg or pending.arg
            opts.append(pending)
            pending = None
        else:
            opts.append(Option(None, name, arg, optional))
    if pending:
        opts.append(pending)
    if not opts:
        fail(path, lineno, "the entry %r names no option" % header)
    return opts


class Entry:
    """An entry of OPTIONS or COMMANDS: a header, help lines, prose."""

    def __init__(self, lineno, header):
        self.lineno, self.header = lineno, header
        self.help = []  # (lineno, text)
        self.prose = []
        self.options = []


def parse_entries(page, heading):
    body = page.need(heading)
    entries = []
    for n, line in body:
        if line.startswith("; ") or line == ";":
            if not entries or entries[-1].prose:
                fail(page.path, n, "a help line belongs right below its entry's header")
            entries[-1].help.append((n, line[2:]))
        elif not line.strip() or line[0] in "\t ":
            if entries:
                entries[-1].prose.append(line)
            elif line.strip():
                fail(page.path, n, "indented text before the first entry of %s" % heading)
        else:
            entries.append(Entry(n, line))
    for e in entries:
        while e.prose and not e.prose[-1].strip():
            e.prose.pop()
    return entries


def attach_help(page, entry, required):
    """Give each option of ENTRY its help line."""
    opts = entry.options
    if not required:
        if entry.help:
            fail(page.path, entry.help[0][0],
                 "%s is a common option: its help line is in %s" % (opts[0].key(), COMMON))
        return
    if len(opts) == 1:
        if len(entry.help) != 1:
            fail(page.path, entry.lineno,
                 "%s needs one help line right below its header ('; what --help says'), not %d"
                 % (opts[0].key(), len(entry.help)))
        opts[0].help = entry.help[0][1]
    else:
        by_key = {}
        for o in opts:
            by_key[o.key()] = o
            if o.short:
                by_key["-" + o.short] = o
        for n, text in entry.help:
            m = re.match(r"(--?[A-Za-z0-9-]+): (.*)", text)
            if not m or m.group(1) not in by_key:
                fail(page.path, n, "with several options in the entry, a help line starts "
                     "with the option it is for ('; --name: ...')")
            o = by_key[m.group(1)]
            if o.help is not None:
                fail(page.path, n, "a second help line for %s" % o.key())
            o.help = m.group(2)
        for o in opts:
            if o.help is None:
                fail(page.path, entry.lineno, "no help line for %s" % o.key())
    for o in opts:
        if not o.help.strip():
            fail(page.path, entry.lineno, "an empty help line for %s" % o.key())


def read_options(page, common):
    """The entries of PAGE's OPTIONS, each with its options; COMMON maps
    the key of each common option to the option."""
    common_keys = {k: "-" + o.short if o.short else k for k, o in common.items()}
    entries = parse_entries(page, "OPTIONS")
    seen = {}
    for e in entries:
        if not e.header.startswith("*-"):
            fail(page.path, e.lineno, "an OPTIONS entry starts with its option: %r" % e.header)
        e.options = parse_header(page.path, e.lineno, e.header)
        e.common = any(o.key() in common_keys for o in e.options)
        for o in e.options:
            for name in filter(None, ["-" + o.short if o.short else None,
                                      "--" + o.long if o.long else None]):
                if name in seen:
                    fail(page.path, e.lineno, "%s is documented twice" % name)
                seen[name] = e
            if e.common and o.key() not in common_keys:
                fail(page.path, e.lineno, "%s in the entry of a common option" % o.key())
            if e.common and o.left() != common[o.key()].left():
                fail(page.path, e.lineno, "%s is written %r in %s"
                     % (o.key(), common[o.key()].left().strip(), COMMON))
            if not e.common and (o.short and ("-" + o.short) in common_keys.values()):
                fail(page.path, e.lineno, "-%s is a common option's" % o.short)
        attach_help(page, e, not e.common)
    return entries


def read_title(page, want_name):
    if not page.lines or page.lines[0] != "%s(%s)" % (want_name, page.section):
        fail(page.path, 1, "the first line must be %s(%s)" % (want_name, page.section))


def read_name(page, want):
    body = nonblank(page.need("NAME"))
    prefix = want + " - "
    if len(body) != 1 or not body[0][1].startswith(prefix):
        fail(page.path, body[0][0] if body else 0, "NAME is one line, '%s...'" % prefix)
    return body[0][1][len(prefix):]


def read_synopsis(page, words):
    """The usage lines: each '*WORDS* rest' becomes 'WORDS rest'."""
    lines = []
    for n, line in nonblank(page.need("SYNOPSIS")):
        head = "*%s*" % words
        if not (line == head or line.startswith(head + " ")):
            fail(page.path, n, "a SYNOPSIS line starts with '%s '" % head)
        rest = line[len(head):]
        if "*" in rest or "\\" in rest:
            fail(page.path, n, "a SYNOPSIS line is plain text after '%s'" % head)
        lines.append(words + rest)
    if not lines:
        fail(page.path, 0, "SYNOPSIS is empty")
    return lines


def need_sections(page, headings):
    for h in headings:
        page.need(h)


class Command:
    def __init__(self, tool, name, summary):
        self.tool, self.name, self.summary = tool, name, summary
        self.page = None
        self.usage = []
        self.entries = []

    def ident(self):
        return "%s_%s" % (self.tool.name, self.name.replace("-", "_"))

    def options(self):
        return [o for e in self.entries if not e.common for o in e.options]


class Tool:
    def __init__(self, page):
        self.page = page
        self.name = page.name
        self.commands = []


class Docs:
    def __init__(self, doc_dir):
        self.doc_dir = doc_dir
        common_path = os.path.join(doc_dir, COMMON)
        if not os.path.exists(common_path):
            fail(common_path, 0, "missing: the common options' entries")
        self.common_page = Page(common_path)
        self.common = parse_entries(self.common_page, "OPTIONS")
        self.common_by_key = {}
        for e in self.common:
            e.options = parse_header(common_path, e.lineno, e.header)
            e.common = True
            attach_help(self.common_page, e, True)
            for o in e.options:
                self.common_by_key[o.key()] = o

        self.pages = {}
        for f in sorted(os.listdir(doc_dir)):
            if f.endswith(".scd"):
                p = Page(os.path.join(doc_dir, f))
                if not p.section:
                    fail(p.path, 0, "a page is named <name>.<section>.scd")
                self.pages[f] = p
        self.tools = []
        for f, p in self.pages.items():
            if p.section == "1" and "-" not in p.name:
                self.tools.append(self.read_tool(p))
        commands = {}
        for t in self.tools:
            for c in t.commands:
                commands["%s-%s.1.scd" % (t.name, c.name)] = c
        for f, p in self.pages.items():
            read_title(p, p.name)
            if f in commands:
                self.read_command(commands[f], p)
            elif p.section == "1" and "-" in p.name:
                tool = p.name.split("-")[0]
                fail(p.path, 0, "not a command: %s(1) does not list it under COMMANDS" % tool)
            elif p.section != "1":
                need_sections(p, ["NAME", "EXAMPLES"])
        for c in commands.values():
            if c.page is None:
                fail(c.tool.page.path, c.lineno, "%s-%s(1) has no page %s-%s.1.scd"
                     % (c.tool.name, c.name, c.tool.name, c.name))

    def read_tool(self, p):
        t = Tool(p)
        summary = read_name(p, t.name)
        t.summary = "%s: %s" % (t.name, summary)
        t.usage = read_synopsis(p, t.name)
        need_sections(p, ["EXAMPLES", "EXIT STATUS"])
        for e in parse_entries(p, "COMMANDS"):
            m = re.fullmatch(r"\*%s-([a-z][a-z0-9-]*)\*\(1\)" % re.escape(t.name), e.header)
            if not m:
                fail(p.path, e.lineno, "a COMMANDS entry is *%s-<command>*(1), not %r"
                     % (t.name, e.header))
            if len(e.help) != 1 or not e.help[0][1].strip():
                fail(p.path, e.lineno, "%s-%s(1) needs one help line: its summary in '%s --help'"
                     % (t.name, m.group(1), t.name))
            if any(c.name == m.group(1) for c in t.commands):
                fail(p.path, e.lineno, "%s-%s(1) is listed twice" % (t.name, m.group(1)))
            c = Command(t, m.group(1), e.help[0][1])
            c.lineno = e.lineno
            t.commands.append(c)
        t.commands.sort(key=lambda c: c.name)
        return t

    def read_command(self, c, p):
        c.page = p
        read_name(p, "%s-%s" % (c.tool.name, c.name))
        c.usage = read_synopsis(p, "%s %s" % (c.tool.name, c.name))
        c.entries = read_options(p, self.common_by_key)
        need_sections(p, ["EXAMPLES", "EXIT STATUS"])

    # ---- what --help prints ----

    def common_options(self):
        return [o for e in self.common for o in e.options]

    def command_help(self, c):
        out = ["usage: " + c.usage[0]]
        out += ["   or: " + u for u in c.usage[1:]]
        out.append("")
        for o in c.options() + self.common_options():
            out.append(("    %-" + str(OPTION_WIDTH) + "s %s") % (o.left(), o.help))
        return "\n".join(out) + "\n"

    def tool_help(self, t):
        out = ["usage: " + u for u in t.usage]
        out += ["", t.summary]
        if t.commands:
            out += ["", "commands:"]
            out += [("    %-" + str(COMMAND_WIDTH) + "s %s") % (c.name, c.summary)
                    for c in t.commands]
            out += ["", "See '%s <command> --help' or 'man %s-<command>' for one command."
                    % (t.name, t.name)]
        return "\n".join(out) + "\n"

    # ---- the pages as scdoc reads them ----

    def man_page(self, p):
        tool = next((t for t in self.tools if t.page is p), None)
        cmd = next((c for t in self.tools for c in t.commands if c.page is p), None)
        if not tool and not cmd:
            return p.text
        heading = "COMMANDS" if tool else "OPTIONS"
        start = next(n for h, n, _ in p.sections if h == heading)
        end = next((n for h, n, _ in p.sections if n > start), len(p.lines) + 1)
        if tool:
            entries = parse_entries(p, heading)
        else:
            own = [e for e in cmd.entries if not e.common]
            replaced = {o.key(): e for e in cmd.entries if e.common for o in e.options}
            entries = own + [next((replaced[o.key()] for o in e.options if o.key() in replaced), e)
                             for e in self.common]
        body = [p.lines[start - 1], ""]
        for e in entries:
            body += [e.header] + e.prose + [""]
        return "\n".join(p.lines[:start - 1] + body + p.lines[end - 1:]) + "\n"

    # ---- the C tables ----

    def c_header(self):
        out = [GENERATED_C, "#ifndef FE_CMDS_H", "#define FE_CMDS_H", "",
               '#include "fe.h"', ""]
        for t in self.tools:
            out.append("extern const struct fe_tool %s_tool;" % t.name)
            for c in t.commands:
                out.append("extern const struct fe_usage fe_usage_%s;" % c.ident())
                out.append("int cmd_%s(int argc, const char **argv);" % c.ident())
            out.append("")
        out.append("#endif")
        return "\n".join(out) + "\n"

    def c_source(self):
        out = [GENERATED_C, '#include "fe-cmds.h"', ""]
        for t in self.tools:
            for c in t.commands:
                out.append("static const struct fe_opt_doc %s_opts[] = {" % c.ident())
                for o in c.options():
                    out.append("\t{ %s, %s, %d }," % (
                        "'%s'" % o.short if o.short else "0",
                        c_string(o.long) if o.long else "NULL",
                        2 if o.optional else 1 if o.arg else 0))
                out.append("\t{ 0, NULL, 0 }")
                out.append("};")
                out.append("")
                out.append("const struct fe_usage fe_usage_%s = {" % c.ident())
                out.append("\t%s," % c_string("%s %s" % (t.name, c.name)))
                out.append("\t%s," % c_string("%s-%s(1)" % (t.name, c.name)))
                out.append(c_text(self.command_help(c)) + ",")
                out.append("\t%s_opts" % c.ident())
                out.append("};")
                out.append("")
            out.append("static const struct fe_cmd %s_cmds[] = {" % t.name)
            for c in t.commands:
                out.append("\t{ %s, cmd_%s }," % (c_string(c.name), c.ident()))
            if not t.commands:
                out.append("\t{ NULL, NULL }")
            out.append("};")
            out.append("")
            out.append("const struct fe_tool %s_tool = {" % t.name)
            out.append("\t%s," % c_string(t.name))
            out.append(c_text(self.tool_help(t)) + ",")
            out.append("\t%s_cmds," % t.name)
            out.append("\t%d" % len(t.commands))
            out.append("};")
            out.append("")
        return "\n".join(out)

    # ---- the completion's data ----

    def completion(self, logic):
        out = [GENERATED_SH,
               "# The commands of each tool; the options of each command (\"--silo=\"",
               "# when it takes a value); the value of an option, as its page",
               "# names it (\"<dir>\", or the words it may be: \"sha1|sha256\").",
               "declare -gA _silobox_cmds=(" ]
        for t in self.tools:
            out.append("\t[%s]=%s" % (t.name, sh_quote(" ".join(c.name for c in t.commands))))
        out.append(")")
        out.append("declare -gA _silobox_opts=(")
        values = []
        for t in self.tools:
            for c in t.commands:
                words = []
                for o in c.options() + self.common_options():
                    if o.short:
                        words.append("-" + o.short)
                    if o.long:
                        words.append("--" + o.long + ("=" if o.arg and not o.optional else ""))
                        if o.arg:
                            values.append(("%s %s --%s" % (t.name, c.name, o.long), o.arg))
                out.append("\t[%s]=%s" % (sh_quote("%s %s" % (t.name, c.name)),
                                          sh_quote(" ".join(words))))
        out.append(")")
        out.append("declare -gA _silobox_values=(")
        for k, v in values:
            out.append("\t[%s]=%s" % (sh_quote(k), sh_quote(v)))
        out.append(")")
        out.append("")
        return "\n".join(out) + "\n" + logic


GENERATED_C = "/* Generated by tools/gen-docs.py from Documentation/: do not edit. */"
GENERATED_SH = "# Generated by tools/gen-docs.py from Documentation/ and\n" \
               "# contrib/completion/silobox.bash: do not edit."


def c_string(s):
    s = s.replace("\\", "\\\\").replace('"', '\\"').replace("??", "?\\?")
    return '"%s"' % s.replace("\n", "\\n")


def c_text(text):
    return "\n".join("\t" + c_string(l + "\n") for l in text.rstrip("\n").split("\n"))


def sh_quote(s):
    return "'%s'" % s.replace("'", "'\\''")


def write_if_changed(path, text):
    try:
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                return
    except FileNotFoundError:
        pass
    tmp = "%s.tmp%d" % (path, os.getpid())
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.rename(tmp, path)


def generate(doc_dir, out_dir, logic_path):
    docs = Docs(doc_dir)
    outputs = {
        "fe-cmds.h": docs.c_header(),
        "fe-cmds.c": docs.c_source(),
    }
    for f, p in docs.pages.items():
        outputs[os.path.join("man", f)] = docs.man_page(p)
    if logic_path:
        with open(logic_path, encoding="utf-8") as f:
            outputs["silobox.bash"] = docs.completion(f.read())
    os.makedirs(os.path.join(out_dir, "man"), exist_ok=True)
    for name, text in outputs.items():
        write_if_changed(os.path.join(out_dir, name), text)


def main(argv):
    prog = "gen-docs"
    try:
        if len(argv) >= 3 and argv[1] == "--print-help":
            docs = Docs(argv[2])
            t = next((t for t in docs.tools if t.name == argv[3]), None) if len(argv) > 3 else None
            if t is None or len(argv) > 5:
                print("%s: no such tool: %s" % (prog, " ".join(argv[3:])), file=sys.stderr)
                return 2
            if len(argv) == 4:
                sys.stdout.write(docs.tool_help(t))
                return 0
            c = next((c for c in t.commands if c.name == argv[4]), None)
            if c is None:
                print("%s: %s has no command %s" % (prog, t.name, argv[4]), file=sys.stderr)
                return 2
            sys.stdout.write(docs.command_help(c))
            return 0
        if len(argv) >= 3 and argv[1] == "--check":
            status = 0
            for d in argv[2:]:
                try:
                    Docs(d)
                except PageError as e:
                    print("%s: error: %s" % (prog, e), file=sys.stderr)
                    status = 1
            return status
        args = argv[1:]
        logic = None
        if args[:1] == ["--completion"] and len(args) > 1:
            logic, args = args[1], args[2:]
        if len(args) != 2:
            print("usage: python3 tools/gen-docs.py [--completion LOGIC] DOC_DIR OUT_DIR\n"
                  "   or: python3 tools/gen-docs.py --print-help DOC_DIR TOOL [COMMAND]\n"
                  "   or: python3 tools/gen-docs.py --check DOC_DIR...",
                  file=sys.stderr)
            return 2
        generate(args[0], args[1], logic)
        return 0
    except PageError as e:
        print("%s: error: %s" % (prog, e), file=sys.stderr)
        return 1
    except OSError as e:
        print("%s: error: %s" % (prog, e), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
