package io.lakehose.bench;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;

/**
 * Cost per TB of CDC data (10^12 bytes of the stream's JSON records), from figures this bench
 * measured: the service path's MB per CPU-second and peak heap on one core, and the objects and
 * S3 requests per GB that the default buffer settings produce ({@link ObjectsPerGb}). Priced at
 * us-east-1 list prices, next to Amazon Data Firehose's published per-GB prices for the same
 * records. The prices are constants here, with where they were read (README "Performance",
 * "Cost per TB"); the Kinesis stream itself costs the same either way and is left out.
 */
final class CostTable {

    // Prices, us-east-1, on-demand list prices as read on 2026-12-07 (README "Cost per TB" names the pages).
    static final double FARGATE_VCPU_HOUR = 0.04048;   // Linux/x86, per vCPU-hour
    static final double FARGATE_GB_HOUR = 0.004445;    // Linux/x86, per GB of memory per hour
    static final double FARGATE_GB_PER_VCPU = 2;       // the smallest memory Fargate allows with 1 vCPU
    static final double S3_PUT_PER_1000 = 0.005;       // S3 Standard: PUT, COPY, POST, LIST
    static final double KMS_PER_10000 = 0.03;          // symmetric-key requests (GenerateDataKey, Decrypt)
    static final double FIREHOSE_INGEST_GB = 0.029;    // Kinesis Data Streams or Direct PUT source, first 500 TB/month
    static final double FIREHOSE_PARQUET_GB = 0.018;   // format conversion to Parquet/ORC
    static final double FIREHOSE_PARTITION_GB = 0.020; // dynamic partitioning, per GB processed
    static final double FIREHOSE_ICEBERG_GB = 0.075;   // Apache Iceberg tables destination (no 5 KB rounding)
    static final int FIREHOSE_RECORD_INCREMENT = 5 * 1024;
    /** AWS prices per GB of 2^30 bytes. */
    static final double BYTES_PER_BILLED_GB = 1L << 30;
    static final double TB = 1e12;

    private CostTable() {
    }

    static void print(PrintStream out, double avgRecordBytes, double mbPerCpuSecond, long peakHeapBytes,
                      List<ObjectsPerGb.Counts> writes) {
        double cpuSecondsPerTb = TB / 1e6 / mbPerCpuSecond;
        double vcpuHours = cpuSecondsPerTb / 3600;
        double cpuCost = vcpuHours * FARGATE_VCPU_HOUR;
        double memCost = vcpuHours * FARGATE_GB_PER_VCPU * FARGATE_GB_HOUR;
        double billedGb = TB / BYTES_PER_BILLED_GB;
        double records = TB / avgRecordBytes;
        double roundedRecordBytes = Math.ceil(avgRecordBytes / FIREHOSE_RECORD_INCREMENT) * FIREHOSE_RECORD_INCREMENT;
        double firehoseBilledGb = records * roundedRecordBytes / BYTES_PER_BILLED_GB;

        out.println();
        out.println("Cost per TB of CDC data (10^12 bytes of JSON records), us-east-1 list prices; measured inputs:");
        out.printf(Locale.ROOT, "  service path on one core: %.1f MB/CPU-s -> %,.0f CPU-s per TB (%.2f vCPU-hours); "
                + "peak heap %d MB (Fargate's 1 vCPU task has %.0f GB)%n", mbPerCpuSecond, cpuSecondsPerTb, vcpuHours,
                peakHeapBytes >> 20, FARGATE_GB_PER_VCPU);
        for (ObjectsPerGb.Counts c : writes) {
            out.printf(Locale.ROOT, "  one shard, one table, hourly partitions, %.2f MB/s per shard (%,d records, %.0f MB, "
                            + "%.0f s of stream): %d objects (largest %.1f MB) = %.1f objects, %.1f S3 PUT-class requests, "
                            + "%.2f listings per GB%n", c.mbPerSecondOfStream(), c.records(), c.inputBytes() / 1e6,
                    c.streamSeconds(), c.objects(), c.largestObject() / 1e6, c.perGb(c.objects()),
                    c.perGb(c.putRequests()), c.perGb(c.listRequests()));
        }
        out.println();
        out.println("  | per TB | arithmetic | USD |");
        out.println("  |---|---|---|");
        out.printf(Locale.ROOT, "  | lakehose: Fargate vCPU | %.2f vCPU-h x $%.5f | %.2f |%n", vcpuHours, FARGATE_VCPU_HOUR, cpuCost);
        out.printf(Locale.ROOT, "  | lakehose: Fargate memory | %.2f vCPU-h x %.0f GB x $%.6f | %.2f |%n", vcpuHours,
                FARGATE_GB_PER_VCPU, FARGATE_GB_HOUR, memCost);
        for (ObjectsPerGb.Counts c : writes) {
            double puts = c.perGb(c.putRequests() + c.listRequests()) * 1000;
            // SSE-KMS without Bucket Keys: a GenerateDataKey per PutObject or CreateMultipartUpload, and
            // (counted as an upper bound) a Decrypt per UploadPart.
            double kms = c.perGb(c.objects() + c.multipartParts()) * 1000;
            out.printf(Locale.ROOT, "  | lakehose at %.2f MB/s per shard: S3 requests | %,.0f x $%.3f / 1,000 | %.4f |%n",
                    c.mbPerSecondOfStream(), puts, S3_PUT_PER_1000, puts * S3_PUT_PER_1000 / 1000);
            out.printf(Locale.ROOT, "  | lakehose at %.2f MB/s per shard: KMS, no Bucket Key | %,.0f x $%.2f / 10,000 | %.4f |%n",
                    c.mbPerSecondOfStream(), kms, KMS_PER_10000, kms * KMS_PER_10000 / 10000);
            out.printf(Locale.ROOT, "  | lakehose at %.2f MB/s per shard: total (Bucket Key: KMS ~0) | | %.2f |%n",
                    c.mbPerSecondOfStream(), cpuCost + memCost + puts * S3_PUT_PER_1000 / 1000 + kms * KMS_PER_10000 / 10000);
        }
        out.printf(Locale.ROOT, "  | Firehose ingestion | %,.0f records x %.0f KiB = %,.0f GB x $%.3f | %.2f |%n", records,
                roundedRecordBytes / 1024, firehoseBilledGb, FIREHOSE_INGEST_GB, firehoseBilledGb * FIREHOSE_INGEST_GB);
        out.printf(Locale.ROOT, "  | Firehose format conversion to Parquet | %,.0f GB x $%.3f | %.2f |%n", firehoseBilledGb,
                FIREHOSE_PARQUET_GB, firehoseBilledGb * FIREHOSE_PARQUET_GB);
        out.printf(Locale.ROOT, "  | Firehose dynamic partitioning | %,.0f GB x $%.3f | %.2f |%n", billedGb,
                FIREHOSE_PARTITION_GB, billedGb * FIREHOSE_PARTITION_GB);
        out.printf(Locale.ROOT, "  | Firehose to S3 as Parquet, partitioned: total | | %.2f |%n",
                firehoseBilledGb * (FIREHOSE_INGEST_GB + FIREHOSE_PARQUET_GB) + billedGb * FIREHOSE_PARTITION_GB);
        out.printf(Locale.ROOT, "  | Firehose to Iceberg tables | %,.0f GB x $%.3f | %.2f |%n", billedGb,
                FIREHOSE_ICEBERG_GB, billedGb * FIREHOSE_ICEBERG_GB);
        out.println("  (lakehose: at full use of its vCPU; Firehose: its own S3 and KMS requests, per-object and JQ "
                + "charges left out, so its figures are a floor)");
    }
}
