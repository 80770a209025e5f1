package dev.ember.engine.tokenizer;

/**
 * The o200k split (GPT-4o, gpt-oss; llama.cpp's {@code gpt-4o}) as a hand-written scanner, as
 * Hugging Face tokenizers applies the regex of the models' tokenizer.json:
 * <pre>
 * [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?
 * |[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?
 * |\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+
 * </pre>
 * llama.cpp runs an approximation on its collapsed text (a non-ASCII letter counts as both cases,
 * combining marks are not letters), which splits "ÉCOLE" into "É" + "COLE" and "Của" (with a
 * combining hook) into three pieces, unlike the models' own tokenizer; this scanner follows the
 * real split (vectors from tokenizers in PreTokenizerSplitsTest). The two case classes overlap
 * (modifier and other letters, marks), so the first alternative's backtracking is reproduced:
 * the "upper" run gives back characters until one can start the "lower" run.
 */
final class O200kSplit implements SplitStage {
    static final O200kSplit INSTANCE = new O200kSplit();

    private O200kSplit() {}

    /** [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}] */
    private static boolean upper(int cp, int f) {
        if ((f & UnicodeProps.MARK) != 0) return true;
        return (f & UnicodeProps.LETTER) != 0 && Character.getType(cp) != Character.LOWERCASE_LETTER;
    }

    /** [\p{Ll}\p{Lm}\p{Lo}\p{M}] */
    private static boolean lower(int cp, int f) {
        if ((f & UnicodeProps.MARK) != 0) return true;
        if ((f & UnicodeProps.LETTER) == 0) return false;
        int t = Character.getType(cp);
        return t != Character.UPPERCASE_LETTER && t != Character.TITLECASE_LETTER;
    }

    /** [^\s\p{L}\p{N}] (marks and unassigned code points included). */
    private static boolean other(int f) {
        return f != 0 && (f & (UnicodeProps.WHITESPACE | UnicodeProps.LETTER | UnicodeProps.NUMBER)) == 0;
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

            int e = caseWord(cps, flags, pos, end);
            if (e > pos) {
                pos = e;
            } else if ((f & UnicodeProps.NUMBER) != 0) { // \p{N}{1,3}
                int stop = Math.min(end, pos + 3);
                while (pos < stop && (flags[pos] & UnicodeProps.NUMBER) != 0) pos++;
            } else if (other(f) || (cp == ' ' && pos + 1 < end && other(flags[pos + 1]))) { // ' ?[^\s\p{L}\p{N}]+[\r\n/]*'
                if (cp == ' ') pos++;
                while (pos < end && other(flags[pos])) pos++;
                while (pos < end && (cps[pos] == '\r' || cps[pos] == '\n' || cps[pos] == '/')) pos++;
            } else {
                int spaces = 0;
                int afterLastNewline = -1;
                while (pos + spaces < end && (flags[pos + spaces] & UnicodeProps.WHITESPACE) != 0) {
                    int c = cps[pos + spaces];
                    if (c == '\r' || c == '\n') afterLastNewline = pos + spaces + 1;
                    spaces++;
                }
                if (afterLastNewline >= 0) pos = afterLastNewline;              // \s*[\r\n]+
                else if (spaces > 1 && pos + spaces < end) pos += spaces - 1;   // \s+(?!\S)
                else if (spaces > 0) pos += spaces;                             // \s+
                else pos++;                                                      // nothing matches: one code point
            }
            out.add(pos - prevEnd);
            prevEnd = pos;
        }
    }

    /**
     * The end of the first two alternatives' match at {@code pos} (contraction included), or -1.
     * Each alternative tries its optional leading character first, then none.
     */
    private static int caseWord(int[] cps, int[] flags, int pos, int end) {
        int cp = cps[pos];
        int f = flags[pos];
        boolean lead = cp != '\r' && cp != '\n' && (f & (UnicodeProps.LETTER | UnicodeProps.NUMBER)) == 0;
        int e = -1;
        if (lead) e = upperThenLower(cps, flags, pos + 1, end);
        if (e < 0) e = upperThenLower(cps, flags, pos, end);
        if (e < 0 && lead) e = upperRun(cps, flags, pos + 1, end);
        if (e < 0) e = upperRun(cps, flags, pos, end);
        if (e < 0) return -1;
        return e < end ? e + Gpt2Split.contractionLength(cps, e, end, true) : e;
    }

    /** [U]*[L]+ from {@code i}: the upper run gives back characters until the lower run can start. */
    private static int upperThenLower(int[] cps, int[] flags, int i, int end) {
        if (i >= end) return -1;
        int j = i;
        while (j < end && upper(cps[j], flags[j])) j++;
        int k = j;
        while (k >= i && !(k < end && lower(cps[k], flags[k]))) k--;
        if (k < i) return -1;
        int e = k;
        while (e < end && lower(cps[e], flags[e])) e++;
        return e;
    }

    /** [U]+[L]* from {@code i}. */
    private static int upperRun(int[] cps, int[] flags, int i, int end) {
        if (i >= end || !upper(cps[i], flags[i])) return -1;
        int e = i;
        while (e < end && upper(cps[e], flags[e])) e++;
        while (e < end && lower(cps[e], flags[e])) e++;
        return e;
    }
}
