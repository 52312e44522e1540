#!/usr/bin/python3
"""tests/dns/spf_suite_convert.py: the openspf RFC 7208 YAML suite -> lines.

Usage: spf_suite_convert.py SUITE.yml OUT.txt

Run by tests/dns/test_spf_suite at test time (never copied into the tree).
The zone semantics are those of upstream pyspf's testspf.py, the harness the
suite was written against:

  * TXT/SPF values are one string or a list of strings; a list is joined
    with nothing between (RFC 7208 3.3).  Text is encoded as UTF-8 bytes.
  * An SPF (type 99) record is also published as TXT at that name unless the
    name has a TXT entry of its own; "TXT: NONE" counts as an entry but
    publishes nothing.
  * TIMEOUT: every type not published before it at that name times out;
    records listed after it (and generated TXT copies, which come last) are
    never seen.

Output, one item per line, fields separated by one space, every field
escaped: bytes <= 0x20, >= 0x7f, '\\' and '"' as \\xHH, the empty string as "".
  zone                             a new scenario: forget the previous zone
  rr NAME TYPE DATA                TYPE is A AAAA TXT SPF PTR CNAME
  mx NAME PREF HOST
  timeout NAME
  test ID HOST MAILFROM HELO RESULTS [EXPLANATION]   RESULTS: r1,r2,...

Exit status 77 when PyYAML is missing (the test then skips), 1 on errors.
"""
import sys

try:
    import yaml
except ImportError:
    print("python3-yaml is not installed", file=sys.stderr)
    sys.exit(77)


def esc(value):
    """Escape a str (encoded as UTF-8) or bytes into one field."""
    if isinstance(value, str):
        value = value.encode("utf-8")
    if not value:
        return '""'
    out = []
    for b in value:
        if b <= 0x20 or b >= 0x7F or b in (0x5C, 0x22):
            out.append("\\x%02X" % b)
        else:
            out.append(chr(b))
    return "".join(out)


def text_of(value):
    """A TXT/SPF value: one string, or a list of strings joined."""
    if isinstance(value, str):
        return value
    return "".join(value)


def records(name, entries):
    """Yield (kind, fields) for one name, in testspf.py's order."""
    generated = []
    has_txt = False
    items = []
    for entry in entries:
        if entry == "TIMEOUT":
            items.append(("timeout", None))
            continue
        for rtype, value in entry.items():
            if rtype == "TXT":
                has_txt = True
                if value == "NONE":
                    continue
            if rtype == "SPF":
                generated.append(("rr", ("TXT", text_of(value))))
            items.append(("rr", (rtype, value)))
    if not has_txt:
        items.extend(generated)
    for kind, rec in items:
        if kind == "timeout":
            yield "timeout", [name]
            return  # testspf.py never looks past TIMEOUT
        rtype, value = rec
        if rtype == "MX":
            yield "mx", [name, str(value[0]), value[1]]
        elif rtype in ("TXT", "SPF"):
            yield "rr", [name, rtype, text_of(value)]
        else:
            yield "rr", [name, rtype, value]


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 1
    with open(sys.argv[1], "rb") as f:
        scenarios = list(yaml.safe_load_all(f))
    with open(sys.argv[2], "w", encoding="ascii") as out:
        for sc in scenarios:
            out.write("zone\n")
            for name, entries in sc.get("zonedata", {}).items():
                for kind, fields in records(name, entries):
                    out.write(" ".join([kind] + [esc(x) for x in fields]) + "\n")
            for tid, t in sc["tests"].items():
                results = t["result"]
                if isinstance(results, str):
                    results = [results]
                fields = [tid, t["host"], t["mailfrom"], t["helo"], ",".join(results)]
                if "explanation" in t:
                    fields.append(t["explanation"])
                out.write(" ".join(["test"] + [esc(x) for x in fields]) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
