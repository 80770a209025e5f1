package dev.ember.engine.synth;

import dev.ember.engine.gguf.GgufWriter;

import java.util.ArrayList;
import java.util.List;

/**
 * A GPT-2 style byte-level BPE vocabulary that llama.cpp can load: the 256 byte tokens in GPT-2's
 * byte-to-unicode alphabet and order, then two-byte tokens with one merge each (so text
 * tokenizes to about two bytes per token, like a real vocabulary's typical prompt), then
 * {@code [PADn]} fillers (type UNUSED, as llama.cpp's converter writes for ids a tokenizer lacks)
 * and three ChatML control tokens.
 */
final class SynthVocab {
    static final int NORMAL = 1, CONTROL = 3, UNUSED = 5;
    static final String[] SPECIALS = {"<|endoftext|>", "<|im_start|>", "<|im_end|>"};

    /** ChatML, as Qwen uses, so that chat-style requests work against synthetic models. */
    static final String CHATML = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content']"
            + " + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    private SynthVocab() {}

    /** GPT-2's bytes_to_unicode, as the list of (byte, char) in token-id order. */
    static int[][] byteAlphabet() {
        List<int[]> out = new ArrayList<>();
        boolean[] printable = new boolean[256];
        for (int b = '!'; b <= '~'; b++) printable[b] = true;
        for (int b = 0xA1; b <= 0xAC; b++) printable[b] = true;
        for (int b = 0xAE; b <= 0xFF; b++) printable[b] = true;
        for (int b = 0; b < 256; b++) if (printable[b]) out.add(new int[]{b, b});
        int n = 0;
        for (int b = 0; b < 256; b++) if (!printable[b]) out.add(new int[]{b, 256 + n++});
        return out.toArray(int[][]::new);
    }

    static void write(Preset.Vocab v, GgufWriter w) {
        int size = v.size();
        if (v.specialBase() < 256 || v.specialBase() + SPECIALS.length > size) {
            throw new IllegalArgumentException("vocabulary of " + size + " cannot hold 256 byte tokens and specials at " + v.specialBase());
        }
        String[] tokens = new String[size];
        int[] types = new int[size];
        int[][] alphabet = byteAlphabet();
        String[] chars = new String[256];
        for (int i = 0; i < 256; i++) {
            chars[i] = Character.toString(alphabet[i][1]);
            tokens[i] = chars[i];
            types[i] = NORMAL;
        }
        int pairs = Math.min(256 * 256, v.specialBase() - 256);
        String[] merges = new String[pairs];
        for (int p = 0; p < pairs; p++) {
            String a = chars[p / 256], b = chars[p % 256];
            tokens[256 + p] = a + b;
            types[256 + p] = NORMAL;
            merges[p] = a + " " + b;
        }
        for (int id = 256 + pairs; id < size; id++) {
            tokens[id] = "[PAD" + id + "]";
            types[id] = UNUSED;
        }
        for (int s = 0; s < SPECIALS.length; s++) {
            tokens[v.specialBase() + s] = SPECIALS[s];
            types[v.specialBase() + s] = CONTROL;
        }
        w.putString("tokenizer.ggml.model", "gpt2");
        w.putString("tokenizer.ggml.pre", v.pre());
        w.putStringArray("tokenizer.ggml.tokens", tokens);
        w.putInt32Array("tokenizer.ggml.token_type", types);
        w.putStringArray("tokenizer.ggml.merges", merges);
        w.putUInt32("tokenizer.ggml.bos_token_id", v.specialBase());
        w.putUInt32("tokenizer.ggml.eos_token_id", v.specialBase() + 2);
        w.putUInt32("tokenizer.ggml.padding_token_id", v.specialBase());
        w.putBool("tokenizer.ggml.add_bos_token", false);
        w.putString("tokenizer.chat_template", CHATML);
    }
}
