"""The rules of Stanford's PTBLexer (CoreNLP 3.4.1, the jar pycocoevalcap runs), restricted to ASCII input.

E.T. Bench replaces every non-ASCII character by a space before tokenizing, so only the ASCII part of the lexer's
grammar matters: `[:letter:]` is [A-Za-z], `[:digit:]` [0-9], and rules that can only match other characters are
left out. The lexer is case-insensitive for literal letters but not inside character classes (JFlex `%caseless`),
which `_caseless` reproduces. Each rule is (pattern, trailing context or None, action); `ptb.py` runs them with
JFlex's semantics (longest match, trailing context counted in its length, the earlier rule on ties). Options are
the PTBTokenizer command line's defaults plus `tokenizeNLs` (pycocoevalcap's `-preserveLines`).

Actions: "token" (the text as matched), "skip" (no token), "newline", a fixed replacement (`=TEXT`), or the names
of the special treatments below, applied by `ptb.py`.
"""

from __future__ import annotations

# ---- macros (Python regex syntax; literal letters are made caseless per rule by `caseless`) -------------------
LETTER = r"(?:[A-Za-z]|&[aeiouAEIOU](?:acute|grave|uml);)"
DIGIT = r"[0-9]"
ALNUM = r"[A-Za-z0-9]"
SPACE = r"[ \t]"
NEWLINE = r"(?:\r|\r?\n|[\x0b\x0c])"
SPACENL = rf"(?:{SPACE}|{NEWLINE})"
SGML = (
    r"<(?:[!?][A-Za-z\-][^>\r\n]*|[A-Za-z][A-Za-z0-9_:.\-]*(?:[ ]+(?:[A-Za-z][A-Za-z0-9_:.\-]*|[A-Za-z][A-Za-z0-9_:.\-]*"
    r"""[ ]*=[ ]*(?:'[^']*'|"[^"]*")))*[ ]*/?|/[A-Za-z][A-Za-z0-9_:.\-]*)[ ]*>"""
)
SENTEND = rf"{SPACENL}(?:{SPACENL}|[A-Z]|{SGML})"
NUM = rf"(?:{DIGIT}+|{DIGIT}*(?:[.:,]{DIGIT}+)+)"
WORD = rf"{LETTER}(?:{LETTER}|{DIGIT})*(?:[.!?]{LETTER}(?:{LETTER}|{DIGIT})*)*"
FILENAME_EXT = (
    "(?:bat|bmp|c|class|cgi|cpp|dll|doc|docx|exe|gif|gz|h|htm|html|jar|java|jpeg|jpg|mov|mp3|pdf|php|pl|png|ppt|ps|"
    "py|sql|tar|txt|wav|x|xml|zip)"
)
APOS = r"(?:'|&apos;)"
APOSETC = rf"(?:{APOS}|`)"
HYPHEN = r"[\-_]"
THING = rf"(?:[dDoOlL]{APOSETC}{ALNUM})?{ALNUM}+(?:{HYPHEN}(?:[dDoOlL]{APOSETC}{ALNUM})?{ALNUM}+)*"
SPAMP = "&amp;"
THINGA = rf"[A-Z]+(?:(?:[+&]|{SPAMP})[A-Z]+)+"
THING3 = r"[A-Za-z0-9]+(?:-[A-Za-z]+){0,2}(?:\\?/[A-Za-z0-9]+(?:-[A-Za-z]+){0,2}){1,2}"
ACRO_SPECIAL = r"(?:Canada|Sino|Korean|EU|Japan|non)-U\.S|U\.S\.-(?:U\.K|U\.S\.S\.R)"
ACRO = rf"(?:[A-Za-z](?:\.[A-Za-z])*|{ACRO_SPECIAL})"
ACRO2 = rf"(?:[A-Za-z](?:\.[A-Za-z])+|{ACRO_SPECIAL})"
HTHING = rf"[A-Za-z0-9][A-Za-z0-9.,]*(?:-(?:[A-Za-z0-9]+|{ACRO2}\.))+"
REDAUX = rf"{APOS}(?:[msdMSD]|re|ve|ll)"
SWORD = r"[A-Za-z]*[A-MO-Za-mo-z]"
SREDAUX = rf"n{APOSETC}t"
APOWORD = (
    rf"(?:{APOS}n{APOS}?|[lLdDjJ]{APOS}|Dunkin{APOS}|somethin{APOS}|ol{APOS}|{APOS}em|[A-HJ-XZn]{APOSETC}[A-Za-z]{{2}}"
    rf"[A-Za-z]*|{APOS}[2-9]0s|{APOS}till?|[A-Za-z][A-Za-z]*[aeiouyAEIOUY]{APOSETC}[aeiouA-Z][A-Za-z]*|{APOS}cause|"
    rf"cont'd\.?|'twas|nor'easter|c'mon|e'er|s'mores|ev'ry|li'l|nat'l|O{APOSETC}o)"
)
URL_END = r"""[^ \t\n\f\r"<>|.!?(){},\-]"""
FULLURL = rf"""https?://[^ \t\n\f\r"<>|(){{}}]+{URL_END}"""
LIKELYURL = (
    r"""(?:(?:www\.(?:[^ \t\n\f\r"<>|.!?(){},]+\.)+[a-zA-Z]{2,4})|(?:(?:[^ \t\n\f\r"`'<>|.!?(){}\x2c-\x5f$]+\.)+"""
    rf"""(?:com|net|org|edu)))(?:/[^ \t\n\f\r"<>|()]+{URL_END})?"""
)
EMAIL_CHARS = r"""[^ \t\n\f\r"<>|(){}.]"""
EMAIL = rf"""(?:&lt;|<)?[a-zA-Z0-9][^ \t\n\f\r"<>|(){{}}]*@(?:{EMAIL_CHARS}+\.)*(?:{EMAIL_CHARS}+)(?:&gt;|>)?"""
TWITTER = rf"(?:@[a-zA-Z_][a-zA-Z_0-9]*|#{LETTER}+)"
ABMONTH = "Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
ABDAYS = "Mon|Tue|Tues|Wed|Thu|Thurs|Fri"
ABSTATE = (
    "Ala|Ariz|[A]z|[A]rk|Calif|Colo|Conn|Ct|Dak|[D]el|Fla|Ga|[I]ll|Ind|Kans?|Ky|[L]a|[M]ass|Md|Mich|Minn|[M]iss|Mo|"
    "Mont|Neb|Nev|Okla|[O]re|[P]a|Penn|Tenn|[T]ex|Va|Vt|[W]ash|Wisc?|Wyo"
)
ABCOMP = "Inc|Cos?|Corp|Pp?t[ye]s?|Ltd|Plc|Rt|Bancorp|Bhd|Assn|Univ|Intl|Sys"
ABPTIT = r"Jr|Sr|Bros|(?:Ed|Ph)\.D|Blvd|Rd|Esq"
ABBREV1 = rf"(?:{ABMONTH}|{ABDAYS}|{ABSTATE}|{ABCOMP}|tel|est|ext|sq|{ABPTIT}|etc|al|seq|Bldg)\."
ABTITLE = (
    "Mr|Mrs|Ms|[M]iss|Drs?|Profs?|Sens?|Reps?|Attys?|Lt|Col|Gen|Messrs|Govs?|Adm|Rev|Maj|Sgt|Cpl|Pvt|Capt|Ste?|Ave|"
    "Pres|Lieut|Hon|Brig|Co?mdr|Pfc|Spc|Supts?|Det|Mt|Ft|Adj|Adv|Asst|Assoc|Ens|Insp|Mlle|Mme|Msgr|Sfc"
)
ABBREV4 = rf"(?:{ABTITLE}|vs|Alex|Wm|Jos|Cie|a\.k\.a|cf|TREAS|Ph|{ACRO}|Invt|Elec|Natl|M[ft]g|Dept)"
ACRONYM_NEXT = (
    "[A]bout|[A]ccording|[A]dditionally|[A]fter|[A]n|[A]|[A]s|[A]t|[B]ut|[E]arlier|[H]e|[H]er|[H]ere|[H]owever|[I]f|"
    r"[I]n|[I]t|[L]ast|[M]any|[M]ore|[M]r\.|[M]s\.|[N]ow|[O]nce|[O]ne|[O]ther|[O]ur|[S]he|[S]ince|[S]o|[S]ome|[S]uch|"
    "[T]hat|[T]he|[T]heir|[T]hen|[T]here|[T]hese|[T]hey|[T]his|[W]e|[W]hen|[W]hile|[W]hat|[Y]et|[Y]ou"
)
ABBREV3 = r"(?:ca|figs?|prop|nos?|art|bldg|prop|pp|op)\."
PHONE = (
    r"(?:\([0-9]{2,3}\)[ ]?|(?:\+\+?)?(?:[0-9]{2,4}[\- ])?[0-9]{2,4}[\- ])[0-9]{3,4}[\- ]?[0-9]{3,5}|"
    r"(?:(?:\+\+?)?[0-9]{2,4}\.)?[0-9]{2,4}\.[0-9]{3,4}\.[0-9]{3,5}"
)
INSENTP = "[,;:]"
QUOTES = rf"(?:{APOS}|''|`{{1,2}})"
DBLQUOT = '(?:"|&quot;)'
TBSPEC = rf"-(?:RRB|LRB|RCB|LCB|RSB|LSB)-|C\.D\.s|pro-|anti-|S(?:&|&amp;)P-500|S(?:&|&amp;)Ls|Cap{APOS}n|c{APOS}est"
SMILEY = r"[<>]?[:;=][\-o*']?[()DPdpO\\{@|\[\]]"
ASIANSMILEY = (
    r"[\^x=~<>]\.\[\^x=~<>\]|[\-\^x=~<>']_[\-\^x=~<>']|\([\-\^x=~<>'][_.]?[\-\^x=~<>']\)|"
    r"\([\^x=~<>']-[\^x=~<>'`]\)"
)
ANY = r"[\s\S]"

# ---- rules, in the lexer's order (pattern, trailing context, action) -----------------------------------------
RULES: list[tuple[str, str | None, str]] = [
    ("c[+][+]", None, "token"),
    ("(?:c|f)#", None, "token"),
    ("cannot", None, "keep3"),  # splitAssimilations: "can" + "not"
    ("'twas", None, "keep2"),
    ("'tis", None, "keep2"),
    ("gonna|gotta|lemme|gimme|wanna", None, "keep3"),
    (SGML, None, "nbsp"),
    ("&(?:MD|mdash|ndash);", None, "=--"),
    (SPAMP, None, "amp"),
    ("&(?:HT|TL|UR|LR|QC|QL|QR|odq|cdq|#[0-9]+);", None, "token"),
    (WORD, REDAUX, "token"),
    (SWORD, SREDAUX, "token"),
    (WORD, None, "token"),
    (APOWORD, None, "token"),
    ("y" + APOS, "[A-Za-z]", "token"),
    (FULLURL, None, "token"),
    (LIKELYURL, None, "token"),
    (EMAIL, None, "token"),
    (TWITTER, None, "token"),
    (REDAUX, "[^A-Za-z]", "close_quote"),
    (SREDAUX, "[^A-Za-z]", "close_quote"),
    (rf"{DIGIT}{{1,2}}[\-/]{DIGIT}{{1,2}}[\-/]{DIGIT}{{2,4}}", None, "token"),  # DATE
    (rf"[\-+]?{NUM}", None, "token"),  # NUMBER
    (rf"(?:{DIGIT}{{1,4}}[\- ])?{DIGIT}{{1,4}}\\?/{DIGIT}{{1,4}}", None, "nbsp"),  # FRAC
    (TBSPEC, None, "amp"),
    (THING3, None, "token"),
    (r"[A-Z]*\$|#", None, "token"),  # DOLSIGN
    (rf"{ACRO}\.", rf"{SPACENL}+(?:{ACRONYM_NEXT}|{SGML}){SPACENL}", "acronym"),
    (ABBREV3, f"{SPACENL}?[0-9]", "token"),
    (r"(?:pt[eyEY]|co)\.", f"{SPACE}(?:ltd|lim)", "token"),
    (ABBREV1, SENTEND, "abbrev_end"),
    (ABBREV1, ANY + ANY, "token"),
    (ABBREV1, None, "abbrev_end"),
    (rf"{ABBREV4}\.", None, "token"),  # ABBREV2
    (ABBREV4, SPACE, "token"),
    (ACRO, SPACENL, "token"),
    (r"(?:'|&apos;)[0-9][0-9]", SPACENL, "token"),  # TBSPEC2
    (rf"(?:{LETTER}|{DIGIT})+(?:[.](?:{LETTER}|{DIGIT})+)*[.]{FILENAME_EXT}", rf"(?:{SPACENL}|[.?!,])", "token"),
    (rf"{WORD}\.", INSENTP, "token"),
    (PHONE, None, "phone"),
    (DBLQUOT, "[A-Za-z0-9$]", "open_quote"),
    (DBLQUOT, None, "close_quote"),
    ("\x7f", None, "skip"),
    ("<|&lt;", None, "=<"),
    (">|&gt;", None, "=>"),
    (SMILEY, "[^A-Za-z0-9]", "parens"),
    (ASIANSMILEY, None, "parens"),
    (r"\{", None, "=-LCB-"),
    (r"\}", None, "=-RCB-"),
    (r"\[", None, "=-LSB-"),
    (r"\]", None, "=-RSB-"),
    (r"\(", None, "=-LRB-"),
    (r"\)", None, "=-RRB-"),
    (r"-+", None, "dashes"),
    (r"\.{3,5}|(?:\.[ ]){2,4}\.", None, "=..."),
    ("@+|#+|_+", None, "token"),  # FNMARKS
    (r"\*+|(?:\\\*){1,3}", None, "token"),  # ASTS
    (INSENTP, None, "token"),
    ("[?!]+", None, "token"),
    (r"\.", None, "token"),
    ("=", None, "token"),
    ("/", None, "token"),
    (rf"{HTHING}\.", INSENTP, "token"),
    (HTHING, None, "token"),
    (rf"{THING}\.", INSENTP, "token"),
    (THING, None, "token"),
    (rf"{THINGA}\.", INSENTP, "amp"),
    (THINGA, None, "amp"),
    ("'", r"[A-Za-z][^ \t\n\r]", "open_quote"),
    (REDAUX, None, "close_quote"),
    (SREDAUX, None, "close_quote"),
    (QUOTES, None, "close_quote"),
    ("<<|>>", None, "token"),
    (r"[+%&~^|\\]", None, "token"),  # MISCSYMBOL
    (r"\x00|[ \t]+", None, "skip"),
    (NEWLINE, None, "newline"),
    ("&nbsp;", None, "skip"),
    ("[^\n]", None, "skip"),  # untokenizable: deleted (the default FIRST_DELETE)
]


def caseless(pattern: str) -> str:
    """`pattern` with every literal letter outside a character class matching both cases (JFlex %caseless)."""
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            width = 4 if pattern[i + 1] == "x" else 2
            out.append(pattern[i : i + width])
            i += width
            continue
        if in_class:
            in_class = ch != "]" or pattern[i - 1] == "[" or pattern[i - 2 : i] == "[^"
        elif ch == "[":
            in_class = True
        elif ch == "(" and pattern[i + 1 : i + 2] == "?":
            out.append(pattern[i : i + 3])  # (?: (?= ...: the flag letter is no literal
            i += 3
            continue
        elif ch.isalpha():
            ch = f"[{ch.lower()}{ch.upper()}]"
        out.append(ch)
        i += 1
    return "".join(out)
