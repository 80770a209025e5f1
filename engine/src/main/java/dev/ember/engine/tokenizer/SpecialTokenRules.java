package dev.ember.engine.tokenizer;

import dev.ember.engine.gguf.GgufFile;

import java.util.List;
import java.util.Locale;

/**
 * Resolves special token ids from GGUF metadata and applies llama.cpp's text-based fix-ups, which
 * exist because converters do not record everything: end-of-turn and fill-in-the-middle tokens are
 * recognized by their text, forced to CONTROL (so they neither tokenize from plain text nor print),
 * and gathered into the end-of-generation set. Matching llama.cpp here matters beyond cosmetics:
 * the attributes decide how text containing these strings is tokenized.
 */
final class SpecialTokenRules {
    private SpecialTokenRules() {}

    // Candidate texts, in priority order (the first present wins when a model has several).
    private static final List<String> EOT = List.of("<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
            "<|end_of_text|>", "<EOT>", "_<EOT>", "[EOT]", "<｜end▁of▁sentence｜>", "<end_of_utterance>");
    private static final List<String> EOM = List.of("<|eom_id|>");
    private static final List<String> FIM_PRE = List.of("<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>",
            "<PRE>", "▁<PRE>", "<|code_prefix|>", "<|prefix|>");
    private static final List<String> FIM_SUF = List.of("<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>",
            "<SUF>", "▁<SUF>", "<|code_suffix|>", "<|suffix|>");
    private static final List<String> FIM_MID = List.of("<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>",
            "<MID>", "▁<MID>", "<|code_middle|>", "<|middle|>");
    private static final List<String> FIM_PAD = List.of("<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]");
    private static final List<String> FIM_REP = List.of("<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>");
    private static final List<String> FIM_SEP = List.of("<|file_sep|>");
    /** Texts that end generation whatever the metadata says. */
    private static final List<String> EOG = List.of("<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>",
            "<|flush|>", "<|calls|>", "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]",
            "[EOS]", "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
            "<｜end▁of▁sentence｜>", "[e~[");
    /** gpt-oss channel markers must always print, so they are demoted to user-defined. */
    private static final List<String> ALWAYS_RENDERED = List.of("<|channel|>", "<|message|>", "<|start|>", "<|constrain|>");

    enum Model { SPM, BPE, WPM }

    static SpecialIds resolve(GgufFile gguf, Vocab vocab, Model model) {
        int bos = switch (model) { case SPM -> 1; case BPE -> 11; case WPM -> 101; };
        int eos = switch (model) { case SPM -> 2; case BPE -> 11; case WPM -> -1; };
        int unk = switch (model) { case SPM -> 0; case BPE -> -1; case WPM -> 100; };
        int sep = model == Model.WPM ? 102 : -1;
        int pad = model == Model.WPM ? 0 : -1;
        int mask = model == Model.WPM ? 103 : -1;
        if (model == Model.WPM) bos = idOr(gguf, vocab, "tokenizer.ggml.cls_token_id", bos);
        bos = requiredIdOr(gguf, vocab, "tokenizer.ggml.bos_token_id", bos);
        eos = requiredIdOr(gguf, vocab, "tokenizer.ggml.eos_token_id", eos);
        int eot = idOr(gguf, vocab, "tokenizer.ggml.eot_token_id", -1);
        int eom = idOr(gguf, vocab, "tokenizer.ggml.eom_token_id", -1);
        unk = idOr(gguf, vocab, "tokenizer.ggml.unknown_token_id", unk);
        sep = idOr(gguf, vocab, "tokenizer.ggml.seperator_token_id", sep);
        pad = idOr(gguf, vocab, "tokenizer.ggml.padding_token_id", pad);
        mask = idOr(gguf, vocab, "tokenizer.ggml.mask_token_id", mask);
        int fimPre = idOr(gguf, vocab, "tokenizer.ggml.fim_pre_token_id", idOr(gguf, vocab, "tokenizer.ggml.prefix_token_id", -1));
        int fimSuf = idOr(gguf, vocab, "tokenizer.ggml.fim_suf_token_id", idOr(gguf, vocab, "tokenizer.ggml.suffix_token_id", -1));
        int fimMid = idOr(gguf, vocab, "tokenizer.ggml.fim_mid_token_id", idOr(gguf, vocab, "tokenizer.ggml.middle_token_id", -1));
        int fimPad = idOr(gguf, vocab, "tokenizer.ggml.fim_pad_token_id", -1);
        int fimRep = idOr(gguf, vocab, "tokenizer.ggml.fim_rep_token_id", -1);
        int fimSep = idOr(gguf, vocab, "tokenizer.ggml.fim_sep_token_id", -1);

        if (eot < 0) eot = detect(vocab, EOT);
        if (eom < 0) eom = detect(vocab, EOM);
        if (fimPre < 0) fimPre = detect(vocab, FIM_PRE);
        if (fimSuf < 0) fimSuf = detect(vocab, FIM_SUF);
        if (fimMid < 0) fimMid = detect(vocab, FIM_MID);
        if (fimPad < 0) fimPad = detect(vocab, FIM_PAD);
        if (fimRep < 0) fimRep = detect(vocab, FIM_REP);
        if (fimSep < 0) fimSep = detect(vocab, FIM_SEP);

        // Control tokens named "unused" are placeholders, not markers.
        for (int id = 0; id < vocab.size(); id++) {
            if (vocab.has(id, TokenAttr.CONTROL) && vocab.text(id).contains("unused")) vocab.addAttrs(id, TokenAttr.UNUSED);
        }

        boolean[] eog = new boolean[vocab.size()];
        for (int id : new int[] {fimPad, fimRep, fimSep}) {
            if (id >= 0) eog[id] = true;
        }
        for (String text : EOG) {
            int id = vocab.id(text);
            if (id >= 0) {
                eog[id] = true;
                vocab.addAttrs(id, TokenAttr.CONTROL);
            }
        }
        for (String text : ALWAYS_RENDERED) {
            int id = vocab.id(text);
            if (id >= 0) vocab.setAttrs(id, TokenAttr.USER_DEFINED);
        }
        for (int id : new int[] {eos, eot, eom}) {
            if (id >= 0) eog[id] = true;
        }
        // gpt-oss (and solar-open) use <|end|> between messages: it ends a message, not generation.
        int end = vocab.id("<|end|>");
        if (end >= 0 && eog[end]) {
            boolean hasReturn = isEog(vocab, eog, "<|return|>");
            boolean hasCall = isEog(vocab, eog, "<|call|>") || isEog(vocab, eog, "<|calls|>");
            boolean hasFlush = isEog(vocab, eog, "<|flush|>");
            if ((hasReturn && hasCall) || (hasCall && hasFlush)) {
                eog[end] = false;
                vocab.setAttrs(end, TokenAttr.USER_DEFINED);
            }
        }
        // Gemma 4 closes tool responses with </s>: there it is text, not end of generation.
        int s = vocab.id("</s>");
        if (s >= 0 && eog[s] && isEog(vocab, eog, "<|tool_response>")) {
            eog[s] = false;
            vocab.setAttrs(s, TokenAttr.NORMAL);
        }
        return new SpecialIds(bos, eos, eot, eom, unk, sep, pad, mask, fimPre, fimSuf, fimMid, fimPad, fimRep, fimSep, eog);
    }

    /**
     * Per-model attribute patches llama.cpp applies by model name: Phi-3's special tokens eat the
     * whitespace after them (its HF tokenizer declares rstrip on them). Must run after the special
     * ids are final, since it patches whatever is special at that point.
     */
    static void applyModelPatches(GgufFile gguf, Vocab vocab) {
        String name = gguf.getString("general.name", "").toLowerCase(Locale.ROOT);
        String pre = gguf.getString("tokenizer.ggml.pre", "");
        String arch = gguf.getString("general.architecture", "");
        if (pre.contains("jina-v2-de") || pre.contains("jina-v2-es") || pre.contains("jina-v2-code")
                || arch.contains("nomic-bert-moe") || arch.contains("jina-bert-v3")) {
            int maskId = vocab.id("<mask>");
            if (maskId >= 0) vocab.addAttrs(maskId, TokenAttr.LSTRIP);
        } else if (name.contains("phi-3") || name.contains("phi3")) {
            for (int id = 0; id < vocab.size(); id++) {
                if (vocab.has(id, TokenAttr.CONTROL | TokenAttr.USER_DEFINED | TokenAttr.UNKNOWN)) vocab.addAttrs(id, TokenAttr.RSTRIP);
            }
            setRstrip(vocab, "</s>", true);
            for (String t : List.of("<unk>", "<s>", "<|endoftext|>")) setRstrip(vocab, t, false);
        } else if (name.contains("modern-bert")) {
            int maskId = vocab.id("[MASK]");
            if (maskId >= 0) vocab.addAttrs(maskId, TokenAttr.LSTRIP);
        }
    }

    private static void setRstrip(Vocab vocab, String text, boolean on) {
        int id = vocab.id(text);
        if (id < 0) return;
        int a = vocab.attrs(id);
        vocab.setAttrs(id, on ? a | TokenAttr.RSTRIP : a & ~TokenAttr.RSTRIP);
    }

    private static boolean isEog(Vocab vocab, boolean[] eog, String text) {
        int id = vocab.id(text);
        return id >= 0 && eog[id];
    }

    /** The first candidate text present in the vocab, forced to CONTROL; -1 if none. */
    private static int detect(Vocab vocab, List<String> candidates) {
        for (String text : candidates) {
            int id = vocab.id(text);
            if (id >= 0) {
                vocab.addAttrs(id, TokenAttr.CONTROL);
                return id;
            }
        }
        return -1;
    }

    /** A token id from metadata; a missing key keeps the default, an out-of-range one is ignored. */
    /**
     * {@link #idOr} for BOS and EOS, whose absence changes every prompt or every stop: a value
     * outside the vocabulary is an error, not a silent fallback.
     */
    private static int requiredIdOr(GgufFile gguf, Vocab vocab, String key, int fallback) {
        if (gguf.has(key)) {
            long v = gguf.getLong(key);
            if (v < 0 || v >= vocab.size()) {
                throw new dev.ember.engine.model.ModelLoadException(gguf.path() + ": metadata '" + key + "' = " + v
                        + " is outside the vocabulary of " + vocab.size() + " tokens; the file is inconsistent (fix or remove the key)");
            }
        }
        return idOr(gguf, vocab, key, fallback);
    }

    private static int idOr(GgufFile gguf, Vocab vocab, String key, int fallback) {
        int def = vocab.contains(fallback) ? fallback : -1;
        if (!gguf.has(key)) return def;
        long v = gguf.getLong(key);
        return v >= 0 && v < vocab.size() ? (int) v : def;
    }
}
