package dev.ember.engine.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A tokenizer assembled from GGUF metadata: special-token splitting in front of one model-specific
 * text encoder, plus the byte tables for decoding. Immutable and safe to share between threads;
 * every encode call allocates its own scratch.
 */
final class GgufTokenizer implements Tokenizer {
    private final String model;
    private final Vocab vocab;
    private final SpecialIds ids;
    private final SpecialTokenSplitter splitter;
    private final TextEncoder encoder;
    private final boolean addBos;
    private final boolean addEos;
    private final boolean addSep;
    private final boolean addSpacePrefix;
    /** Bytes each token contributes to decoded text; empty for control and unknown tokens. */
    private final byte[][] pieces;

    GgufTokenizer(String model, Vocab vocab, SpecialIds ids, SpecialTokenSplitter splitter, TextEncoder encoder,
                  boolean addBos, boolean addEos, boolean addSep, boolean addSpacePrefix, byte[][] pieces) {
        this.model = model;
        this.vocab = vocab;
        this.ids = ids;
        this.splitter = splitter;
        this.encoder = encoder;
        this.addBos = addBos;
        this.addEos = addEos;
        this.addSep = addSep;
        this.addSpacePrefix = addSpacePrefix;
        this.pieces = pieces;
    }

    @Override
    public int vocabSize() { return vocab.size(); }

    @Override
    public int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        return encode(text, addSpecial, parseSpecial, null);
    }

    @Override
    public int[] encodeTemplated(String text, int[] plain, boolean addSpecial) {
        return encode(text, addSpecial, true, plain);
    }

    private int[] encode(String text, boolean addSpecial, boolean parseSpecial, int[] plain) {
        String s = wellFormed(text); // same length: only unpaired surrogates are replaced, one char each
        IntList out = new IntList(s.length() / 3 + 4);
        if (addSpecial && addBos && ids.bos() >= 0) out.add(ids.bos());
        boolean afterSpecial = true;
        for (Fragment f : splitter.split(s, parseSpecial, plain)) {
            if (f.isText()) {
                encoder.encode(s.substring(f.start(), f.end()), afterSpecial, out);
                afterSpecial = false;
            } else {
                out.add(f.token());
                afterSpecial = true;
            }
        }
        if (addSpecial && addEos && ids.eos() >= 0) out.add(ids.eos());
        if (addSpecial && addSep && ids.sep() >= 0) out.add(ids.sep());
        return out.toArray();
    }

    /**
     * Replaces unpaired surrogates with U+FFFD. Encoders work on code points and UTF-8 bytes and both
     * views must agree; llama.cpp likewise reads invalid UTF-8 as U+FFFD.
     */
    static String wellFormed(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isSurrogate(c)) {
                boolean paired = Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1));
                if (!paired) return repair(text);
                i++;
            }
        }
        return text;
    }

    private static String repair(String text) {
        StringBuilder sb = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            sb.appendCodePoint(Character.isSurrogate((char) cp) && cp < 0x10000 ? 0xFFFD : cp);
        }
        return sb.toString();
    }

    @Override
    public String decode(int[] tokens) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(tokens.length * 4);
        // SentencePiece's encoding added a space before the first word; the first visible piece gives it back.
        boolean stripSpace = addSpacePrefix;
        for (int id : tokens) {
            byte[] p = piece(id);
            if (p.length == 0) continue;
            int from = stripSpace && p[0] == ' ' ? 1 : 0;
            stripSpace = false;
            out.write(p, from, p.length - from);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** The decode bytes of a token without copying; callers must not modify the array. */
    byte[] piece(int id) {
        if (id < 0 || id >= pieces.length) throw new IllegalArgumentException("token id " + id + " outside vocab of " + pieces.length);
        return pieces[id];
    }

    boolean stripsLeadingSpace() { return addSpacePrefix; }

    @Override
    public byte[] tokenBytes(int id) { return piece(id).clone(); }

    @Override
    public String tokenText(int id) {
        if (!vocab.contains(id)) throw new IllegalArgumentException("token id " + id + " outside vocab of " + vocab.size());
        return vocab.text(id);
    }

    @Override
    public int bos() { return ids.bos(); }

    @Override
    public int eos() { return ids.eos(); }

    @Override
    public int eot() { return ids.eot(); }

    @Override
    public boolean addsBos() { return addBos && ids.bos() >= 0; }

    @Override
    public boolean isEndOfGeneration(int id) { return ids.isEog(id); }

    @Override
    public boolean isControl(int id) { return vocab.contains(id) && vocab.has(id, TokenAttr.HIDDEN); }

    SpecialIds specialIds() { return ids; }

    Vocab vocab() { return vocab; }

    List<Fragment> fragments(String text, boolean parseSpecial) { return splitter.split(text, parseSpecial); }

    @Override
    public String toString() {
        return "GgufTokenizer[" + model + ", " + vocab.size() + " tokens, bos=" + ids.bos() + ", eos=" + ids.eos() + "]";
    }
}
