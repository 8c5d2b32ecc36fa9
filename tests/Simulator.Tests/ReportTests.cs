using System.Text.Json;
using Xunit;

namespace IommuSim.Simulator.Tests;

/// <summary>The JSON report's fields (README, "Reports") and the JSON-lines trace.</summary>
public sealed class ReportTests
{
    private static readonly string[] ReportFields =
        ["scenario", "seed", "dispatcher", "simulated_ns", "wall_seconds", "events", "violations", "expectations", "metrics"];

    [Fact]
    public void The_json_report_has_the_documented_fields()
    {
        var path = Cli.TempFile(".json");
        try
        {
            var (exit, stdout, _) = Cli.Invoke("run", "munmap-vs-fault-race", "--seed", "4", "--json", path);
            Assert.Equal(0, exit);
            Assert.Contains($"JSON report: {path}", stdout);
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            var root = doc.RootElement;
            var names = root.EnumerateObject().Select(p => p.Name).ToList();
            Assert.Equal(ReportFields, names.Where(ReportFields.Contains));
            Assert.Equal("munmap-vs-fault-race", root.GetProperty("scenario").GetString());
            Assert.Equal(4UL, root.GetProperty("seed").GetUInt64());
            Assert.Equal("deterministic", root.GetProperty("dispatcher").GetString());
            Assert.True(root.GetProperty("events").GetInt64() > 0);
            Assert.True(root.GetProperty("wall_seconds").GetDouble() > 0);
            Assert.Equal(JsonValueKind.Array, root.GetProperty("violations").ValueKind);
            Assert.Equal(0, root.GetProperty("violations").GetArrayLength());
            var expectations = root.GetProperty("expectations");
            Assert.True(expectations.GetProperty("passed").GetInt32() > 0);
            Assert.Equal(0, expectations.GetProperty("failed").GetInt32());
            Assert.Equal(JsonValueKind.Object, root.GetProperty("metrics").ValueKind);
            Assert.Matches("^[0-9a-f]{16}$", root.GetProperty("trace_hash").GetString());
            Assert.Contains($"trace hash {root.GetProperty("trace_hash").GetString()}", stdout);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_violation_in_the_json_report_names_invariant_step_actors_pages_seed_and_last_events()
    {
        var path = Cli.TempFile(".json");
        try
        {
            var (exit, _, _) = Cli.Invoke("run", "shared-iommu-domain", "--bug", "skip-hmm-domain-unmap", "--json", path);
            Assert.Equal(1, exit);
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            var v = doc.RootElement.GetProperty("violations")[0];
            Assert.Equal("no-dma-after-invalidation", v.GetProperty("invariant").GetString());
            Assert.StartsWith("dma-read (scenarios/shared-iommu-domain.hocon:", v.GetProperty("step").GetString());
            Assert.Contains("the page is free", v.GetProperty("message").GetString());
            Assert.Equal("shared-gpu0", v.GetProperty("actors")[0].GetString());
            Assert.StartsWith("pfn:", v.GetProperty("pages")[0].GetString());
            Assert.Equal(1UL, v.GetProperty("seed").GetUInt64());
            Assert.True(v.GetProperty("last_events").GetArrayLength() > 0);
            Assert.Equal("skip-hmm-domain-unmap", doc.RootElement.GetProperty("bugs")[0].GetString());
            var failure = doc.RootElement.GetProperty("expectations").GetProperty("failures")[0];
            Assert.Equal("errno = EFAULT", failure.GetProperty("expected").GetString());
            Assert.Matches(@"^scenarios/shared-iommu-domain\.hocon:\d+:\d+$", failure.GetProperty("position").GetString());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void The_trace_is_json_lines_of_deliveries_trace_events_and_steps()
    {
        var path = Cli.TempFile(".jsonl");
        try
        {
            var (exit, stdout, _) = Cli.Invoke("run", "shared-iommu-domain", "--trace", path);
            Assert.Equal(0, exit);
            Assert.Contains($"trace: {path}", stdout);
            var lines = File.ReadAllLines(path);
            var kinds = new Dictionary<string, int>();
            foreach (var line in lines)
            {
                using var doc = JsonDocument.Parse(line);
                var kind = doc.RootElement.GetProperty("kind").GetString()!;
                kinds[kind] = kinds.GetValueOrDefault(kind) + 1;
                if (kind == "delivery")
                {
                    Assert.StartsWith("akka://iommusim/user/", doc.RootElement.GetProperty("receiver").GetString());
                    Assert.NotEmpty(doc.RootElement.GetProperty("message").GetString()!);
                    Assert.True(doc.RootElement.GetProperty("time_ns").GetInt64() >= 0);
                }
            }
            Assert.True(kinds["delivery"] > 100, string.Join(", ", kinds));
            Assert.True(kinds["event"] > 10);
            Assert.Equal(0, kinds["step"] % 2); // each step starts and ends
            var events = lines.Where(l => l.Contains("\"kind\":\"event\"", StringComparison.Ordinal)).ToList();
            Assert.Contains(events, l => l.Contains("\"type\":\"DeviceDma\"", StringComparison.Ordinal));
            Assert.Contains(events, l => l.Contains("\"type\":\"InvalidationEnded\"", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void On_the_thread_pool_the_report_has_no_trace_hash_and_no_simulated_time()
    {
        var path = Cli.TempFile(".json");
        try
        {
            var (exit, stdout, _) = Cli.Invoke("run", "page-table-reclaim", "--dispatcher", "threadpool", "--json", path);
            Assert.Equal(0, exit);
            Assert.DoesNotMatch(@"trace hash\s+[0-9a-f]{16}", stdout);
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            Assert.Equal("threadpool", doc.RootElement.GetProperty("dispatcher").GetString());
            Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("trace_hash").ValueKind);
            Assert.Equal(0, doc.RootElement.GetProperty("simulated_ns").GetInt64());
        }
        finally
        {
            File.Delete(path);
        }
    }
}
