/**
 * Container images for nodes without a registry: skiff's own pause and busybox images
 * ({@linkcode pauseImage}, {@linkcode busyboxImage}) built as OCI archives by
 * {@linkcode buildOciArchive} (with its small ustar {@linkcode writeTar}), image reference
 * normalisation ({@linkcode parseImageReference}), and the {@linkcode ImageImporter} that
 * imports every archive dropped into `<data-dir>/agent/images/` into containerd.
 *
 * @module
 */
export * from "./tar_writer.ts";
export * from "./oci_archive.ts";
export * from "./image_reference.ts";
export * from "./skiff_images.ts";
export * from "./importer.ts";
export * from "./build_skiff_images.ts";
export * from "./registries_config.ts";
