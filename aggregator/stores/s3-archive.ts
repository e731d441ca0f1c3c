import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import { z } from "zod";
import { PortError, type Archive } from "../ports/index.js";
import { checkArchiveKey, checkArchivePrefix } from "./archive-keys.js";

// Archive on S3 or any S3-compatible server (S3Proxy locally: path-style addressing).

export const S3ConfigSchema = z.object({
  S3_ENDPOINT: z.url().optional(),
  S3_REGION: z.string().min(1).default("us-east-1"),
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  S3_BUCKET: z.string().min(3).default("fraud-detection-datalake"),
  /** Path-style URLs (http://host/bucket/key): needed by S3Proxy and MinIO. */
  S3_FORCE_PATH_STYLE: z.stringbool().default(true),
});
export type S3Config = z.infer<typeof S3ConfigSchema>;

export function s3ClientFrom(cfg: S3Config, extra: { maxAttempts?: number; requestTimeoutMs?: number; connectTimeoutMs?: number } = {}): S3Client {
  return new S3Client({
    // Without these the SDK waits for ever on a server that accepted the connection and went quiet.
    // throwOnRequestTimeout: this SDK version only logs a warning past requestTimeout otherwise.
    requestHandler: { connectionTimeout: extra.connectTimeoutMs ?? 5_000, requestTimeout: extra.requestTimeoutMs ?? 30_000, throwOnRequestTimeout: true },
    region: cfg.S3_REGION,
    forcePathStyle: cfg.S3_FORCE_PATH_STYLE,
    ...(cfg.S3_ENDPOINT ? { endpoint: cfg.S3_ENDPOINT } : {}),
    ...(cfg.S3_ACCESS_KEY_ID && cfg.S3_SECRET_ACCESS_KEY
      ? { credentials: { accessKeyId: cfg.S3_ACCESS_KEY_ID, secretAccessKey: cfg.S3_SECRET_ACCESS_KEY } }
      : {}),
    ...(extra.maxAttempts ? { maxAttempts: extra.maxAttempts } : {}),
  });
}

/**
 * Retriable: 5xx, throttling (429, SlowDown), request timeouts (408) and every error without an
 * HTTP answer (connection refused, reset, DNS). Fatal: other 4xx (no such bucket, access denied,
 * bad request): retrying the same call cannot change the answer.
 */
export function toS3PortError(what: string, e: unknown): PortError {
  if (e instanceof PortError) return e;
  const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const name = (e as { name?: string }).name ?? "";
  let retriable: boolean;
  if (status === undefined || !(e instanceof S3ServiceException)) retriable = true;
  else retriable = status >= 500 || status === 429 || status === 408 || name === "SlowDown" || name === "RequestTimeout";
  const message = e instanceof Error ? e.message || name : String(e);
  return new PortError(`${what}: ${status ? `HTTP ${status} ` : ""}${name ? `${name}: ` : ""}${message}`, retriable, { cause: e });
}

export interface S3ArchiveOptions {
  bucket: string;
  /** MaxKeys per ListObjectsV2 page (S3 caps it at 1000). */
  pageSize?: number;
}

export function createS3Archive(s3: S3Client, options: S3ArchiveOptions): Archive {
  const Bucket = options.bucket;
  const MaxKeys = options.pageSize ?? 1000;
  return {
    async put(key: string, body: Uint8Array, contentType: string): Promise<void> {
      checkArchiveKey(key);
      try {
        await s3.send(new PutObjectCommand({ Bucket, Key: key, Body: body, ContentType: contentType, ContentLength: body.byteLength }));
      } catch (e) {
        throw toS3PortError(`s3 put ${key}`, e);
      }
    },

    async get(key: string): Promise<Uint8Array | undefined> {
      checkArchiveKey(key);
      try {
        const out = await s3.send(new GetObjectCommand({ Bucket, Key: key }));
        if (!out.Body) return new Uint8Array();
        return await out.Body.transformToByteArray();
      } catch (e) {
        const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        if ((e as { name?: string }).name === "NoSuchKey" || (e instanceof S3ServiceException && status === 404 && e.name !== "NoSuchBucket")) return undefined;
        throw toS3PortError(`s3 get ${key}`, e);
      }
    },

    async list(prefix: string): Promise<string[]> {
      checkArchivePrefix(prefix);
      const keys: string[] = [];
      let token: string | undefined;
      try {
        do {
          const page = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: prefix, MaxKeys, ContinuationToken: token }));
          for (const o of page.Contents ?? []) if (o.Key !== undefined) keys.push(o.Key);
          token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (token !== undefined);
      } catch (e) {
        throw toS3PortError(`s3 list ${prefix}`, e);
      }
      return keys.sort();
    },
  };
}
