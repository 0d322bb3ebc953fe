package io.convzoo.spark;

import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Turns the image columns of Spark's sources into DJL images: the file bytes of the
 * {@code binaryFile} source ({@code content}) and the decoded struct of the {@code image} source
 * (OpenCV layout: rows of interleaved BGR or BGRA bytes, or one gray byte per pixel). A problem
 * is an {@link IllegalArgumentException} whose message names it; the caller turns it into the
 * row's error.
 */
final class ImageInputs {

    /** The fields of Spark's image struct ({@code org.apache.spark.ml.image.ImageSchema}). */
    static final List<String> IMAGE_STRUCT_FIELDS = List.of("origin", "height", "width", "nChannels", "mode", "data");

    /** How a column holds its images. */
    enum Kind {
        /** Encoded file bytes (PNG, JPEG, ...), as the binaryFile source's {@code content}. */
        FILE_BYTES,
        /** The image source's decoded struct. */
        IMAGE_STRUCT;

        /** The kind of {@code type}, or an error naming what the column holds instead. */
        static Kind of(String column, DataType type) {
            if (type.equals(DataTypes.BinaryType)) {
                return FILE_BYTES;
            }
            if (type instanceof StructType struct && List.of(struct.fieldNames()).containsAll(IMAGE_STRUCT_FIELDS)) {
                return IMAGE_STRUCT;
            }
            throw new IllegalArgumentException("column " + column + " holds " + type.simpleString()
                    + "; expected binary image file bytes (the binaryFile source's content) or the image source's "
                    + "struct " + IMAGE_STRUCT_FIELDS);
        }
    }

    private ImageInputs() {}

    /** The DJL image of one cell of a column of {@code kind}. */
    static Image toImage(Kind kind, Object cell) {
        if (cell == null) {
            throw new IllegalArgumentException("no image (null)");
        }
        return kind == Kind.FILE_BYTES ? decode((byte[]) cell) : fromImageStruct((Row) cell);
    }

    /** Decodes encoded image bytes with DJL's image factory. */
    static Image decode(byte[] bytes) {
        if (bytes.length == 0) {
            throw new IllegalArgumentException("empty file, not an image");
        }
        try {
            return ImageFactory.getInstance().fromInputStream(new ByteArrayInputStream(bytes));
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("cannot decode image (" + bytes.length + " bytes; PNG, JPEG, GIF or "
                    + "BMP expected): " + e.getMessage(), e);
        }
    }

    /** The image source's struct as a DJL image (8-bit gray, BGR or BGRA, as its OpenCV modes). */
    static Image fromImageStruct(Row image) {
        int height = image.getInt(image.fieldIndex("height"));
        int width = image.getInt(image.fieldIndex("width"));
        int channels = image.getInt(image.fieldIndex("nChannels"));
        byte[] data = image.getAs("data");
        if (height <= 0 || width <= 0) {
            // What the image source writes for a file it could not decode (with dropInvalid=false).
            throw new IllegalArgumentException("the image source could not decode this file (height " + height
                    + ", width " + width + ")");
        }
        if (channels != 1 && channels != 3 && channels != 4) {
            throw new IllegalArgumentException("image struct has " + channels + " channels; 1 (gray), 3 (BGR) or "
                    + "4 (BGRA) expected");
        }
        long expected = (long) height * width * channels;
        if (data == null || data.length != expected) {
            throw new IllegalArgumentException("image struct data holds " + (data == null ? 0 : data.length)
                    + " bytes; " + height + " x " + width + " x " + channels + " = " + expected + " expected");
        }
        BufferedImage buffered;
        if (channels == 1) {
            buffered = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
            buffered.getRaster().setDataElements(0, 0, width, height, data);
        } else {
            buffered = new BufferedImage(width, height,
                    channels == 4 ? BufferedImage.TYPE_INT_ARGB : BufferedImage.TYPE_INT_RGB);
            int[] argb = new int[width * height];
            for (int i = 0; i < argb.length; i++) {
                int o = i * channels;
                int alpha = channels == 4 ? data[o + 3] & 0xFF : 0xFF;
                argb[i] = alpha << 24 | (data[o + 2] & 0xFF) << 16 | (data[o + 1] & 0xFF) << 8 | data[o] & 0xFF;
            }
            buffered.setRGB(0, 0, width, height, argb, 0, width);
        }
        return ImageFactory.getInstance().fromImage(buffered);
    }
}
