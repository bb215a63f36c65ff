/**
 * The GPU image decoder: nvJPEG ({@code libnvjpeg.so.12}) bound with JNA, with device memory and
 * streams from JCuda, behind the data module's {@link dev.sluice.data.image.ImageDecoder} and chosen by
 * name ({@code --decoder nvjpeg}) through {@link dev.sluice.engine.nvjpeg.NvjpegDecoderProvider}.
 * Loaded lazily: without the library or a GPU, {@link dev.sluice.engine.nvjpeg.Nvjpeg#unavailableReason()}
 * says what is missing and the CPU decoders remain.
 */
package dev.sluice.engine.nvjpeg;
