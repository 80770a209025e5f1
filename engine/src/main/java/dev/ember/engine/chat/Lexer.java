package dev.ember.engine.chat;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a Jinja template into text and tag tokens the way jinja2's lexer does with the settings
 * Hugging Face renders chat templates under: {@code trim_blocks} (the newline after a block or
 * comment tag goes), {@code lstrip_blocks} (spaces before a block or comment tag at the start of a
 * line go), {@code keep_trailing_newline=False}, {@code -}/{@code +} whitespace control and
 * {@code raw} blocks. Exact whitespace matters: the prompt a model sees is this text.
 */
final class Lexer {
    enum Kind { TEXT, VAR_BEGIN, VAR_END, BLOCK_BEGIN, BLOCK_END, NAME, STRING, INT, FLOAT, OP, EOF }

    record Token(Kind kind, String text, Object value, int line) {
        boolean is(Kind k, String t) { return kind == k && text.equals(t); }
        boolean isOp(String t) { return kind == Kind.OP && text.equals(t); }
        boolean isName(String t) { return kind == Kind.NAME && text.equals(t); }
    }

    /** Operators, longest first so that "//" wins over "/". */
    private static final String[] OPS = {"//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">",
            "(", ")", "[", "]", "{", "}", ",", ".", ":", "|", "=", ";"};

    private final String src;
    private final List<Token> out = new ArrayList<>();
    private int pos;
    private int line = 1;
    /** jinja2's line_starting: the text consumed by the last tag ended a line (or nothing was consumed yet). */
    private boolean lineStarting = true;

    private Lexer(String src) {
        this.src = src;
    }

    static List<Token> tokenize(String source) {
        Lexer l = new Lexer(normalizeNewlines(source));
        l.run();
        return l.out;
    }

    /** Python's splitlines() then "\n".join: every line boundary becomes \n, a final one is dropped. */
    static String normalizeNewlines(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\r' -> {
                    if (i + 1 < s.length() && s.charAt(i + 1) == '\n') i++;
                    b.append('\n');
                }
                case '\n', '\u000b', '\u000c', '\u001c', '\u001d', '\u001e', '\u0085', '\u2028', '\u2029' -> b.append('\n');
                default -> b.append(c);
            }
        }
        if (b.length() > 0 && b.charAt(b.length() - 1) == '\n') b.setLength(b.length() - 1);
        return b.toString();
    }

    private ChatTemplateException error(String message) {
        return new ChatTemplateException("chat template syntax error: " + message + " (line " + line + ")");
    }

    private void run() {
        while (pos < src.length()) {
            int start = nextTag(pos);
            String text = src.substring(pos, start < 0 ? src.length() : start);
            if (start < 0) {
                emitText(text);
                pos = src.length();
                break;
            }
            char kind = src.charAt(start + 1);
            char mod = start + 2 < src.length() ? src.charAt(start + 2) : 0;
            if (mod == '-') text = rstrip(text);
            else if (kind != '{' && mod != '+') text = lstripBlock(text);
            emitText(text);
            pos = start + 2 + (mod == '-' || mod == '+' ? 1 : 0);
            switch (kind) {
                case '#' -> comment();
                case '{' -> tag(Kind.VAR_BEGIN, Kind.VAR_END, "}}");
                default -> {
                    int begin = out.size();
                    tag(Kind.BLOCK_BEGIN, Kind.BLOCK_END, "%}");
                    if (out.size() == begin + 3 && out.get(begin + 1).isName("raw")) {
                        out.subList(begin, out.size()).clear();
                        raw();
                    }
                }
            }
        }
        out.add(new Token(Kind.EOF, "", null, line));
    }

    private int nextTag(int from) {
        for (int i = src.indexOf('{', from); i >= 0 && i + 1 < src.length(); i = src.indexOf('{', i + 1)) {
            char c = src.charAt(i + 1);
            if (c == '{' || c == '%' || c == '#') return i;
        }
        return -1;
    }

    private void emitText(String text) {
        if (!text.isEmpty()) out.add(new Token(Kind.TEXT, text, text, line));
        line += count(text);
    }

    private static int count(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) if (s.charAt(i) == '\n') n++;
        return n;
    }

    /** lstrip_blocks: drop spaces between the start of a line and a block or comment tag. */
    private String lstripBlock(String text) {
        int lpos = text.lastIndexOf('\n') + 1;
        if (lpos == 0 && !lineStarting) return text;
        for (int i = lpos; i < text.length(); i++) if (!Py.isSpace(text.charAt(i))) return text;
        return text.substring(0, lpos);
    }

    static String rstrip(String s) {
        int e = s.length();
        while (e > 0 && Py.isSpace(s.charAt(e - 1))) e--;
        return s.substring(0, e);
    }

    /** Consumes the end of a tag: "-" eats all following whitespace, trim_blocks one newline after a block. */
    private void finishTag(int endStart, int endLen, boolean block) {
        char before = endStart > 0 ? src.charAt(endStart - 1) : 0;
        int p = endStart + endLen;
        if (before == '-' && endStart - 1 >= 0) {
            while (p < src.length() && Py.isSpace(src.charAt(p))) p++;
        } else if (block && before != '+' && p < src.length() && src.charAt(p) == '\n') {
            p++;
        }
        String consumed = src.substring(endStart, p);
        line += count(consumed);
        lineStarting = consumed.endsWith("\n");
        pos = p;
    }

    private void comment() {
        int end = src.indexOf("#}", pos);
        if (end < 0) throw error("unclosed comment");
        line += count(src.substring(pos, end));
        finishTag(end, 2, true);
    }

    private void tag(Kind begin, Kind endKind, String end) {
        int tagLine = line;
        out.add(new Token(begin, "", null, tagLine));
        List<Character> stack = new ArrayList<>();
        while (true) {
            if (pos >= src.length()) throw error("unclosed tag opened on line " + tagLine);
            char c = src.charAt(pos);
            if (stack.isEmpty()) {
                int close = closeAt(pos, end);
                if (close >= 0) {
                    out.add(new Token(endKind, "", null, line));
                    finishTag(close, 2, endKind == Kind.BLOCK_END);
                    return;
                }
            }
            if (c == '\n') line++;
            if (Py.isSpace(c)) {
                pos++;
            } else if (Character.isLetter(c) || c == '_') {
                int s = pos;
                while (pos < src.length() && (Character.isLetterOrDigit(src.charAt(pos)) || src.charAt(pos) == '_')) pos++;
                String name = src.substring(s, pos);
                out.add(new Token(Kind.NAME, name, name, line));
            } else if (c >= '0' && c <= '9') {
                number();
            } else if (c == '\'' || c == '"') {
                string(c);
            } else {
                String op = null;
                for (String o : OPS) if (src.startsWith(o, pos)) { op = o; break; }
                if (op == null) throw error("unexpected character '" + c + "'");
                switch (op) {
                    case "(" -> stack.add(')');
                    case "[" -> stack.add(']');
                    case "{" -> stack.add('}');
                    case ")", "]", "}" -> {
                        if (stack.isEmpty() || stack.removeLast() != op.charAt(0)) throw error("unbalanced '" + op + "'");
                    }
                    default -> { }
                }
                pos += op.length();
                out.add(new Token(Kind.OP, op, op, line));
            }
        }
    }

    /** Where this tag's end ("-%}", "+%}", "%}" or "-}}", "}}") starts its closing pair, or -1. */
    private int closeAt(int p, String end) {
        char c = src.charAt(p);
        if ((c == '-' || (c == '+' && end.equals("%}"))) && src.startsWith(end, p + 1)) return p + 1;
        return src.startsWith(end, p) ? p : -1;
    }

    private void number() {
        int s = pos;
        while (pos < src.length() && (Character.isDigit(src.charAt(pos)) || src.charAt(pos) == '_')) pos++;
        boolean isFloat = false;
        if (pos + 1 < src.length() && src.charAt(pos) == '.' && Character.isDigit(src.charAt(pos + 1))) {
            isFloat = true;
            pos++;
            while (pos < src.length() && (Character.isDigit(src.charAt(pos)) || src.charAt(pos) == '_')) pos++;
        }
        if (pos < src.length() && (src.charAt(pos) == 'e' || src.charAt(pos) == 'E')) {
            int q = pos + 1;
            if (q < src.length() && (src.charAt(q) == '+' || src.charAt(q) == '-')) q++;
            if (q < src.length() && Character.isDigit(src.charAt(q))) {
                isFloat = true;
                pos = q;
                while (pos < src.length() && Character.isDigit(src.charAt(pos))) pos++;
            }
        }
        String text = src.substring(s, pos).replace("_", "");
        try {
            if (isFloat) out.add(new Token(Kind.FLOAT, text, Double.parseDouble(text), line));
            else out.add(new Token(Kind.INT, text, Long.parseLong(text), line));
        } catch (NumberFormatException e) {
            throw error("number '" + text + "' is out of range");
        }
    }

    private void string(char quote) {
        int startLine = line;
        StringBuilder b = new StringBuilder();
        pos++;
        while (true) {
            if (pos >= src.length()) throw error("unclosed string opened on line " + startLine);
            char c = src.charAt(pos++);
            if (c == quote) break;
            if (c == '\n') line++;
            if (c != '\\') {
                b.append(c);
                continue;
            }
            if (pos >= src.length()) throw error("unclosed string opened on line " + startLine);
            char e = src.charAt(pos++);
            switch (e) {
                case 'n' -> b.append('\n');
                case 't' -> b.append('\t');
                case 'r' -> b.append('\r');
                case '\\' -> b.append('\\');
                case '\'' -> b.append('\'');
                case '"' -> b.append('"');
                case 'a' -> b.append('\u0007');
                case 'b' -> b.append('\b');
                case 'f' -> b.append('\f');
                case 'v' -> b.append('\u000b');
                case '\n' -> line++;  // a backslash at the end of a line continues it
                case 'x' -> b.appendCodePoint(hex(2));
                case 'u' -> b.appendCodePoint(hex(4));
                case 'U' -> {
                    int cp = hex(8);
                    if (!Character.isValidCodePoint(cp)) throw error("bad \\U escape in a string");
                    b.appendCodePoint(cp);
                }
                default -> {
                    if (e >= '0' && e <= '7') {
                        int v = e - '0';
                        for (int k = 0; k < 2 && pos < src.length() && src.charAt(pos) >= '0' && src.charAt(pos) <= '7'; k++) v = v * 8 + (src.charAt(pos++) - '0');
                        b.append((char) v);
                    } else {
                        b.append('\\').append(e);  // Python keeps unknown escapes as written
                    }
                }
            }
        }
        String s = b.toString();
        out.add(new Token(Kind.STRING, s, s, startLine));
    }

    private int hex(int digits) {
        if (pos + digits > src.length()) throw error("truncated escape in a string");
        int v = 0;
        for (int i = 0; i < digits; i++) {
            int d = Character.digit(src.charAt(pos + i), 16);
            if (d < 0) throw error("bad escape in a string");
            v = v * 16 + d;
        }
        pos += digits;
        return v;
    }

    /** After "{% raw %}": everything up to "{% endraw %}" is text. */
    private void raw() {
        int from = pos;
        int i = from;
        while (true) {
            i = src.indexOf("{%", i);
            if (i < 0) throw error("missing endraw");
            int p = i + 2;
            boolean strip = p < src.length() && src.charAt(p) == '-';
            if (strip || (p < src.length() && src.charAt(p) == '+')) p++;
            while (p < src.length() && Py.isSpace(src.charAt(p))) p++;
            if (src.startsWith("endraw", p)) {
                int q = p + 6;
                while (q < src.length() && Py.isSpace(src.charAt(q))) q++;
                if (q < src.length() && (src.charAt(q) == '-' || src.charAt(q) == '+')) q++;
                if (src.startsWith("%}", q)) {
                    String text = src.substring(from, i);
                    emitText(strip ? rstrip(text) : text);
                    line += count(src.substring(i, q));
                    finishTag(q, 2, true);
                    return;
                }
            }
            i += 2;
        }
    }
}
