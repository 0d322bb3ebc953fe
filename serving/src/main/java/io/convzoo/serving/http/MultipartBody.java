package io.convzoo.serving.http;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.apache.commons.fileupload2.core.AbstractFileUpload;
import org.apache.commons.fileupload2.core.DiskFileItem;
import org.apache.commons.fileupload2.core.DiskFileItemFactory;
import org.apache.commons.fileupload2.core.FileItemInput;
import org.apache.commons.fileupload2.core.FileItemInputIterator;
import org.apache.commons.fileupload2.core.FileUploadSizeException;
import org.apache.commons.fileupload2.core.RequestContext;

/**
 * Extracts the image part of a {@code multipart/form-data} body with commons-fileupload's
 * streaming parser: the part named {@code data} (as DJL Serving and TorchServe clients send it),
 * else the first file part. The body is already in memory and bounded by the server's limit.
 */
final class MultipartBody {

    private MultipartBody() {}

    static boolean isMultipart(String contentType) {
        return contentType != null && contentType.toLowerCase(java.util.Locale.ROOT).startsWith("multipart/form-data");
    }

    static byte[] imagePart(byte[] body, String contentType) {
        Upload upload = new Upload();
        upload.setFileCountMax(16);
        byte[] firstFile = null;
        try {
            FileItemInputIterator parts = upload.getItemIterator(new Context(body, contentType));
            while (parts.hasNext()) {
                FileItemInput part = parts.next();
                byte[] bytes;
                try (InputStream in = part.getInputStream()) {
                    bytes = in.readAllBytes();
                }
                if ("data".equals(part.getFieldName())) {
                    return bytes;
                }
                if (firstFile == null && !part.isFormField()) {
                    firstFile = bytes;
                }
            }
        } catch (FileUploadSizeException e) {
            throw new HttpError(413, "PayloadTooLarge", "multipart body too large: " + e.getMessage());
        } catch (IOException | IllegalArgumentException | IllegalStateException e) {
            throw new HttpError(400, "BadRequest", "malformed multipart/form-data body: " + e.getMessage());
        }
        if (firstFile == null) {
            throw new HttpError(400, "BadRequest", "multipart body has no 'data' part and no file part");
        }
        return firstFile;
    }

    /** The parser's request view over an in-memory body. */
    private record Context(byte[] body, String contentType) implements RequestContext {
        @Override
        public String getCharacterEncoding() {
            return StandardCharsets.UTF_8.name();
        }

        @Override
        public long getContentLength() {
            return body.length;
        }

        @Override
        public String getContentType() {
            return contentType;
        }

        @Override
        public InputStream getInputStream() {
            return new ByteArrayInputStream(body);
        }

        @Override
        public boolean isMultipartRelated() {
            return false;
        }
    }

    /** fileupload's generic parser bound to our in-memory {@link RequestContext}. */
    private static final class Upload extends AbstractFileUpload<RequestContext, DiskFileItem, DiskFileItemFactory> {
        @Override
        public FileItemInputIterator getItemIterator(RequestContext request) throws IOException {
            return super.getItemIterator(request);
        }

        @Override
        public java.util.Map<String, java.util.List<DiskFileItem>> parseParameterMap(RequestContext request)
                throws org.apache.commons.fileupload2.core.FileUploadException {
            return super.parseParameterMap(request);
        }

        @Override
        public java.util.List<DiskFileItem> parseRequest(RequestContext request)
                throws org.apache.commons.fileupload2.core.FileUploadException {
            return super.parseRequest(request);
        }
    }
}
