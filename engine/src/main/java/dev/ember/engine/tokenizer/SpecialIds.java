package dev.ember.engine.tokenizer;

/**
 * The ids of the model's special tokens (-1 where the model has none), and the set of tokens that
 * end generation. {@code eog} is indexed by token id.
 */
record SpecialIds(int bos, int eos, int eot, int eom, int unk, int sep, int pad, int mask,
                  int fimPre, int fimSuf, int fimMid, int fimPad, int fimRep, int fimSep, boolean[] eog) {

    boolean isEog(int id) {
        return id >= 0 && id < eog.length && eog[id];
    }
}
