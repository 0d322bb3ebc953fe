package io.convzoo.serving.grpc;

import com.google.protobuf.ByteString;
import io.convzoo.serving.api.BadInputException;
import io.convzoo.serving.api.InferenceService;
import io.convzoo.serving.api.ServedModel;
import io.convzoo.serving.grpc.proto.InferTensorContents;
import io.convzoo.serving.grpc.proto.ModelInferRequest;
import io.convzoo.serving.grpc.proto.ModelInferRequest.InferInputTensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The items (C×H×W floats each) of a ModelInfer request's one input tensor, with the REST endpoint's
 * conventions: FP32 of shape [N, C, H, W], or BYTES of shape [N] (or [N, 1]) holding N encoded
 * images, preprocessed as {@code POST /predictions} does. Values come from the typed contents or,
 * when the request has them, from {@code raw_input_contents}. Anything else is a
 * {@link BadInputException} naming the problem.
 */
final class InferInputs {

    static final String FP32 = "FP32";
    static final String BYTES = "BYTES";

    private InferInputs() {}

    static List<float[]> items(InferenceService service, ServedModel info, ModelInferRequest request, int maxItems) {
        if (request.getInputsCount() != 1) {
            throw new BadInputException("model '" + info.name() + "' takes one input tensor, got "
                    + request.getInputsCount() + " (" + expected(info) + ")");
        }
        if (request.getRawInputContentsCount() > 1) {
            throw new BadInputException("raw_input_contents has " + request.getRawInputContentsCount()
                    + " entries for 1 input");
        }
        InferInputTensor input = request.getInputs(0);
        ByteString raw = request.getRawInputContentsCount() == 1 ? request.getRawInputContents(0) : null;
        if (raw != null && input.hasContents() && !input.getContents().equals(InferTensorContents.getDefaultInstance())) {
            throw new BadInputException("input '" + input.getName() + "' has both contents and raw_input_contents; "
                    + "send one");
        }
        long[] shape = input.getShapeList().stream().mapToLong(Long::longValue).toArray();
        return switch (input.getDatatype()) {
            case FP32 -> tensorItems(info, input.getName(), shape, raw == null ? typedFloats(input) : rawFloats(input, raw),
                    maxItems);
            case BYTES -> imageItems(service, info, input.getName(), shape,
                    raw == null ? input.getContents().getBytesContentsList() : rawBytes(input.getName(), raw), maxItems);
            default -> throw new BadInputException("input '" + input.getName() + "' has datatype '"
                    + input.getDatatype() + "'; " + expected(info));
        };
    }

    /** What the model takes, in words, for error messages. */
    static String expected(ServedModel info) {
        long[] item = info.inputShape();
        return "model '" + info.name() + "' takes FP32 of shape [N, " + item[0] + ", " + item[1] + ", " + item[2]
                + "] or BYTES (encoded images: PNG, JPEG, GIF, BMP) of shape [N]";
    }

    private static List<float[]> tensorItems(ServedModel info, String name, long[] shape, float[] data, int maxItems) {
        long[] item = info.inputShape();
        if (shape.length != 4 || shape[0] < 1 || shape[1] != item[0] || shape[2] != item[1] || shape[3] != item[2]) {
            throw new BadInputException("input '" + name + "' has shape " + Arrays.toString(shape) + "; "
                    + expected(info));
        }
        checkCount(name, shape[0], maxItems);
        long perItem = info.itemElements();
        if (data.length != shape[0] * perItem) {
            throw new BadInputException("input '" + name + "' of shape " + Arrays.toString(shape) + " needs "
                    + shape[0] * perItem + " FP32 values, got " + data.length);
        }
        List<float[]> items = new ArrayList<>((int) shape[0]);
        for (int i = 0; i < shape[0]; i++) {
            items.add(Arrays.copyOfRange(data, (int) (i * perItem), (int) ((i + 1) * perItem)));
        }
        return items;
    }

    private static List<float[]> imageItems(InferenceService service, ServedModel info, String name, long[] shape,
                                            List<ByteString> images, int maxItems) {
        boolean vector = shape.length == 1 || (shape.length == 2 && shape[1] == 1);
        if (!vector || shape[0] < 1) {
            throw new BadInputException("input '" + name + "' has shape " + Arrays.toString(shape)
                    + "; BYTES input is one encoded image per element, shape [N] or [N, 1]");
        }
        checkCount(name, shape[0], maxItems);
        if (images.size() != shape[0]) {
            throw new BadInputException("input '" + name + "' of shape " + Arrays.toString(shape) + " needs "
                    + shape[0] + " BYTES elements, got " + images.size());
        }
        List<float[]> items = new ArrayList<>(images.size());
        for (int i = 0; i < images.size(); i++) {
            try {
                items.add(service.preprocess(info.name(), images.get(i).toByteArray()));
            } catch (BadInputException e) {
                throw new BadInputException("input '" + name + "' element " + i + ": " + e.getMessage(), e);
            }
        }
        return items;
    }

    private static void checkCount(String name, long n, int maxItems) {
        if (n > maxItems) {
            throw new BadInputException("input '" + name + "': at most " + maxItems + " items per request, got N=" + n);
        }
    }

    private static float[] typedFloats(InferInputTensor input) {
        InferTensorContents c = input.getContents();
        float[] out = new float[c.getFp32ContentsCount()];
        for (int i = 0; i < out.length; i++) {
            out[i] = c.getFp32Contents(i);
        }
        return out;
    }

    /** Raw FP32: little-endian 4-byte floats, as the protocol fixes. */
    private static float[] rawFloats(InferInputTensor input, ByteString raw) {
        if (raw.size() % Float.BYTES != 0) {
            throw new BadInputException("raw contents of FP32 input '" + input.getName() + "' are " + raw.size()
                    + " bytes, not a whole number of 4-byte floats");
        }
        FloatBuffer floats = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        float[] out = new float[floats.remaining()];
        floats.get(out);
        return out;
    }

    /** Raw BYTES: each element a 4-byte little-endian length, then that many bytes. */
    static List<ByteString> rawBytes(String name, ByteString raw) {
        ByteBuffer in = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        List<ByteString> out = new ArrayList<>();
        while (in.hasRemaining()) {
            if (in.remaining() < Integer.BYTES) {
                throw new BadInputException("raw contents of BYTES input '" + name + "' end inside an element's "
                        + "4-byte length prefix");
            }
            long length = Integer.toUnsignedLong(in.getInt());
            if (length > in.remaining()) {
                throw new BadInputException("raw contents of BYTES input '" + name + "': element " + out.size()
                        + " says " + length + " bytes, only " + in.remaining() + " follow");
            }
            out.add(raw.substring(in.position(), in.position() + (int) length));
            in.position(in.position() + (int) length);
        }
        return out;
    }
}
