package dev.ember.engine.tokenizer;

/**
 * GPT-2's split, {@code 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+},
 * as a hand-written scanner. Java's regex engine could run the pattern, but \s and \p{L} would
 * need Unicode flags with subtly different class tables, and a scanner is several times faster.
 * Contractions are case-sensitive here, unlike the Llama 3 family.
 */
final class Gpt2Split implements SplitStage {
    static final Gpt2Split INSTANCE = new Gpt2Split();

    private Gpt2Split() {}

    /**
     * Length of the English contraction ('s 't 'm 'd 're 've 'll) starting at {@code pos}, or 0;
     * {@code ignoreCase} for the Llama 3 family's {@code (?i:...)}.
     */
    static int contractionLength(int[] cps, int pos, int end, boolean ignoreCase) {
        if (cps[pos] != '\'' || pos + 1 >= end) return 0;
        int next = ignoreCase ? UnicodeProps.toLower(cps[pos + 1]) : cps[pos + 1];
        if (next == 's' || next == 't' || next == 'm' || next == 'd') return 2;
        if (pos + 2 >= end) return 0;
        int next2 = ignoreCase ? UnicodeProps.toLower(cps[pos + 2]) : cps[pos + 2];
        boolean two = (next == 'r' && next2 == 'e') || (next == 'v' && next2 == 'e') || (next == 'l' && next2 == 'l');
        return two ? 3 : 0;
    }

    @Override
    public void split(SplitText text, int start, int end, IntList out) {
        int[] cps = text.cps;
        int[] flags = text.flags;
        int prevEnd = start;
        int pos = start;
        while (pos < end) {
            int cp = cps[pos];
            int f = flags[pos];

            // 's 't 'm 'd 're 've 'll
            int contraction = contractionLength(cps, pos, end, false);
            if (contraction > 0) {
                pos += contraction;
                out.add(pos - prevEnd);
                prevEnd = pos;
                continue;
            }

            // An optional leading space joins a run of letters, of digits, or of other symbols.
            int f2 = cp == ' ' ? flagsAt(flags, pos + 1, end) : f;
            if ((f2 & UnicodeProps.LETTER) != 0) {
                if (cp == ' ') pos++;
                while (pos < end && (flags[pos] & UnicodeProps.LETTER) != 0) pos++;
                out.add(pos - prevEnd);
                prevEnd = pos;
                continue;
            }
            if ((f2 & UnicodeProps.NUMBER) != 0) {
                if (cp == ' ') pos++;
                while (pos < end && (flags[pos] & UnicodeProps.NUMBER) != 0) pos++;
                out.add(pos - prevEnd);
                prevEnd = pos;
                continue;
            }
            if (isOther(f2)) {
                if (cp == ' ') pos++;
                while (pos < end && isOther(flags[pos])) pos++;
                out.add(pos - prevEnd);
                prevEnd = pos;
                continue;
            }

            int spaces = 0;
            while (pos + spaces < end && (flags[pos + spaces] & UnicodeProps.WHITESPACE) != 0) spaces++;
            // \s+(?!\S): a whitespace run followed by more text leaves its last space to that text
            if (spaces > 1 && pos + spaces < end) {
                pos += spaces - 1;
                out.add(pos - prevEnd);
                prevEnd = pos;
                continue;
            }
            if (spaces > 0) {
                pos += spaces;
                out.add(pos - prevEnd);
                prevEnd = pos;
                continue;
            }
            pos++; // nothing matched: the code point stands alone
            out.add(pos - prevEnd);
            prevEnd = pos;
        }
    }

    /** [^\s\p{L}\p{N}] for a position inside the piece (flags 0 means outside). */
    static boolean isOther(int f) {
        return f != 0 && (f & (UnicodeProps.WHITESPACE | UnicodeProps.LETTER | UnicodeProps.NUMBER)) == 0;
    }

    static int flagsAt(int[] flags, int pos, int end) {
        return pos < end ? flags[pos] : 0;
    }
}
