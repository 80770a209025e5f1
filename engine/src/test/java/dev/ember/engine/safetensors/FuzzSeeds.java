package dev.ember.engine.safetensors;

import dev.ember.engine.gguf.GgufFile;
import dev.ember.engine.gguf.GgufValueType;
import dev.ember.engine.gguf.GgufWriter;
import dev.ember.engine.tensor.TensorType;
import dev.ember.engine.util.Json;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Writes the committed seed inputs of the fuzz targets (src/test/resources/dev/ember/engine/.../
 * *FuzzTestInputs/*) from the repository's fixtures and shared/: small valid examples of each
 * format, so the fuzzer starts from inputs that reach deep into each parser. Rerun after a format
 * change: {@code ./ember fuzz-seeds} is not a command; run this class's main from the test classpath
 * with the repository root as the argument (see the README's "Fuzzing").
 */
public final class FuzzSeeds {
    private FuzzSeeds() {}

    public static void main(String[] args) throws IOException {
        Path repo = Path.of(args.length > 0 ? args[0] : ".").toAbsolutePath().normalize();
        Path shared = repo.resolveSibling("shared");
        Path res = repo.resolve("engine/src/test/resources/dev/ember/engine");
        Path fixtures = repo.resolve("engine/src/test/resources/fixtures");
        List<String> families = List.of("llama", "qwen2", "qwen3", "qwen3_moe", "deepseek_v2", "deepseek_v3", "gpt_oss_mxfp4");

        // GGUF: every value type and a few tensors; the tokenizers of stories260K (SentencePiece) and of the qwen2 fixture (byte-level BPE)
        Path gguf = dirs(res.resolve("gguf/GgufFuzzTestInputs/open"));
        GgufWriter w = new GgufWriter()
                .putString("general.architecture", "llama").putUInt8("u8", 7).putInt8("i8", -7).putUInt16("u16", 700).putInt16("i16", -700)
                .putUInt32("llama.block_count", 2).putInt32("i32", -70000).putUInt64("u64", 1L << 40).putInt64("i64", -(1L << 40))
                .putFloat32("f32", 1.5f).putFloat64("f64", -2.25).putBool("b", true).putStringArray("sa", "a", "", "ü")
                .putInt32Array("ia", 1, -2, 3).putFloat32Array("fa", 0.5f, -1f)
                .addTensor("token_embd.weight", new float[]{1, 2, 3, 4, 5, 6, 7, 8}, 4, 2);
        w.write(gguf.resolve("values-and-tensors.gguf"));
        try (GgufFile stories = GgufFile.open(shared.resolve("models/stories260K.gguf"))) {
            GgufWriter t = new GgufWriter();
            for (String k : stories.metadata().keySet()) {
                if (k.startsWith("tokenizer.")) t.put(k, stories.metadataType(k), stories.metadataElementType(k), stories.metadata().get(k));
            }
            t.write(gguf.resolve("tokenizer-llama-spm.gguf"));
        }
        HfConfig qwen = HfConfig.read(fixtures.resolve("qwen2/model/config.json"));
        GgufMetadata meta = new GgufMetadata();
        meta.string("general.architecture", "qwen2");
        HfTokenizerJson.translate(fixtures.resolve("qwen2/model"), qwen, meta);
        GgufWriter bpe = new GgufWriter();
        meta.writeTo(bpe, k -> k.startsWith("tokenizer.") && !k.equals("tokenizer.chat_template"));
        bpe.write(gguf.resolve("tokenizer-gpt2-bpe.gguf"));

        // HF directories: config.json NUL safetensors header (the target fills the data with zeros)
        Path ckpt = dirs(res.resolve("safetensors/CheckpointFuzzTestInputs/open"));
        for (String f : families) {
            Path dir = fixtures.resolve(f + "/model");
            byte[] st = Files.readAllBytes(dir.resolve("model.safetensors"));
            long len = ByteBuffer.wrap(st, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            Files.write(ckpt.resolve(f), join(Files.readAllBytes(dir.resolve("config.json")), java.util.Arrays.copyOfRange(st, 8, 8 + (int) len)));
        }

        // tokenizer.json NUL tokenizer_config.json NUL text
        Path tj = dirs(res.resolve("safetensors/TokenizerJsonFuzzTestInputs/load"));
        for (String f : List.of("llama", "qwen2")) {
            Path dir = fixtures.resolve(f + "/model");
            Files.write(tj.resolve(f), join(Files.readAllBytes(dir.resolve("tokenizer.json")), Files.readAllBytes(dir.resolve("tokenizer_config.json")),
                    "Hello <|im_start|>user\n wörld 123 ".getBytes(StandardCharsets.UTF_8)));
        }

        // chat templates: template NUL system NUL user NUL assistant NUL user
        Path chat = dirs(res.resolve("chat/ChatTemplateFuzzTestInputs/render"));
        byte[][] msgs = {"Be brief.".getBytes(StandardCharsets.UTF_8), "Hi {{ x }} </s>".getBytes(StandardCharsets.UTF_8),
                "Hello!".getBytes(StandardCharsets.UTF_8), "Bye".getBytes(StandardCharsets.UTF_8)};
        for (String f : List.of("llama", "qwen2")) {
            Map<?, ?> tc = (Map<?, ?>) Json.parse(Files.readString(fixtures.resolve(f + "/model/tokenizer_config.json")));
            Files.write(chat.resolve(f), join(((String) tc.get("chat_template")).getBytes(StandardCharsets.UTF_8), msgs[0], msgs[1], msgs[2], msgs[3]));
        }
        Files.write(chat.resolve("llama2"), join(("{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
                + "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}"
                + "{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] | trim + ' [/INST]' }}{% elif message['role'] == 'assistant' %}"
                + "{{ ' ' + message['content'] | trim + ' ' + eos_token }}{% endif %}{% endfor %}").getBytes(StandardCharsets.UTF_8), msgs[1], msgs[2]));
        Files.write(chat.resolve("features"), join(("{% set ns = namespace(n=0) %}{% macro m(x) %}[{{ x|upper }}]{% endmacro %}"
                + "{% for message in messages %}{% set ns.n = ns.n + 1 %}{{ m(message.role) }}{{ message.content|replace('a','b')|length }}"
                + "{% if loop.last and add_generation_prompt %}<|assistant|>{% endif %}{% endfor %}{{ ns.n }}{{ range(3)|join(',') }}"
                + "{{ messages|selectattr('role','equalto','user')|list|length }}{{ '%d'|format(4) }}{{ {'a':1}|tojson }}").getBytes(StandardCharsets.UTF_8),
                msgs[0], msgs[1], msgs[2]));

        // tokenizer encoding: first byte picks the vocabulary (its index in VocabFiles.names()), the rest is text
        Path tok = dirs(res.resolve("tokenizer/TokenizerFuzzTestInputs/encode"));
        String[] texts = {"Hello world", " leading  spaces\tand\ttabs\n\n", "ünïcödé 日本語 🦙 <s></s><|endoftext|>", "3.14159 1,000,000 'll 've",
                "\u2581x \u00a0y \r\n z"};
        for (int v = 0; v < 7; v++) {
            for (int t = 0; t < texts.length; t++) {
                byte[] text = texts[t].getBytes(StandardCharsets.UTF_8);
                byte[] in = new byte[text.length + 1];
                in[0] = (byte) v;
                System.arraycopy(text, 0, in, 1, text.length);
                Files.write(tok.resolve("v" + v + "-t" + t), in);
            }
        }

        // JSON schemas
        Path schema = dirs(res.resolve("constrain/JsonSchemaFuzzTestInputs/compile"));
        String[] schemas = {
            "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\",\"maxLength\":8},\"age\":{\"type\":\"integer\",\"minimum\":0,\"maximum\":150},"
                + "\"tags\":{\"type\":\"array\",\"items\":{\"enum\":[\"a\",\"b\"]},\"maxItems\":3}},\"required\":[\"name\"],\"additionalProperties\":false}",
            "{\"anyOf\":[{\"type\":\"number\",\"minimum\":-2.5,\"maximum\":3.75},{\"type\":\"null\"},{\"const\":\"x\"}]}",
            "{\"$defs\":{\"p\":{\"type\":\"integer\",\"exclusiveMinimum\":0,\"exclusiveMaximum\":5}},\"type\":\"array\",\"items\":{\"$ref\":\"#/$defs/p\"},\"minItems\":1}",
            "{\"type\":\"string\",\"format\":\"date\"}",
            "{\"type\":\"string\",\"pattern\":\"^[a-z]+\\\\d{2}$\"}",
            "{\"oneOf\":[{\"type\":\"boolean\"},{\"type\":\"object\"}]}",
            "{}",
        };
        for (int i = 0; i < schemas.length; i++) Files.writeString(schema.resolve("s" + i), schemas[i]);
        if (Files.isRegularFile(repo.resolve("examples/schemas/person.json"))) Files.copy(repo.resolve("examples/schemas/person.json"), schema.resolve("person"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);

        // regexes, and one grammar (leading NUL)
        Path rx = dirs(res.resolve("constrain/RegexFuzzTestInputs/compile"));
        String[] regexes = {"[A-Z][a-z]{2,5}( [a-z]+)*\\.", "(?i)yes|no|maybe", "\\d{3}-\\d{4}", "^(a|bc)+?[^\\s\\w]\\p{L}$", "[\\u00e0-\\u00ff日本]{1,3}",
                "(?:x{0,2}y)?\\\\\\.\\[", ".{0,4}z"};
        for (int i = 0; i < regexes.length; i++) Files.writeString(rx.resolve("r" + i), regexes[i]);
        Files.write(rx.resolve("g0"), join(new byte[0], "root ::= item (\",\" item)*\nitem ::= [a-z]+ | \"(\" root \")\"\n".getBytes(StandardCharsets.UTF_8)));
    }

    private static Path dirs(Path p) throws IOException {
        return Files.createDirectories(p);
    }

    private static byte[] join(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < parts.length; i++) {
            if (i > 0) out.write(0);
            out.writeBytes(parts[i]);
        }
        return out.toByteArray();
    }
}
