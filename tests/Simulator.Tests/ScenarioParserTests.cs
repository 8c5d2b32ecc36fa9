using IommuSim.Simulator.Scenarios;
using Xunit;

namespace IommuSim.Simulator.Tests;

/// <summary>A bad scenario file: every error with file:line:col and what was expected; unknown references named.</summary>
public sealed class ScenarioParserTests
{
    private const string Machine = """
        machine {
          units { iommu0 { preset = intel-vtd } }
          devices { gpu0 { unit = iommu0 } }
          iommu-domains { dom0 { devices = [gpu0] } }
          processes { p0 {} }
          mirrors { m0 { process = p0, device = gpu0 } }
        }

        """;

    private static ScenarioError Single(string hocon)
    {
        var errors = Cli.Errors(hocon);
        Assert.True(errors.Count == 1, string.Join(Environment.NewLine, errors));
        return errors[0];
    }

    [Fact]
    public void A_syntax_error_names_file_line_and_column()
    {
        var e = Single("steps = [ { op = mmap \n");
        Assert.Equal("test.hocon", e.Position!.File);
        Assert.Equal(2, e.Position.Line);
        Assert.Contains("expected '}'", e.Message);
    }

    [Fact]
    public void An_unknown_process_is_named_with_its_position_and_the_declared_ones()
    {
        var e = Single(Machine + "steps = [ { op = mmap, process = p9, pages = 1 } ]");
        Assert.Equal((8, 34), (e.Position!.Line, e.Position.Column));
        Assert.Equal("step mmap: unknown process 'p9' (declared: p0)", e.Message);
    }

    [Theory]
    [InlineData("{ op = device-read, mirror = m7, address = 0, pages = 1 }", "unknown mirror 'm7' (declared: m0)")]
    [InlineData("{ op = dma-read, device = gpu3, iova = 0, pages = 1 }", "unknown device 'gpu3' (declared: gpu0)")]
    [InlineData("{ op = iommu-unit-stats, unit = smmu0 }", "unknown unit 'smmu0' (declared: iommu0)")]
    [InlineData("{ op = iommu-unmap, iommu-domain = dom9, iova = 0, pages = 1 }", "unknown iommu-domain 'dom9' (declared: dom0)")]
    [InlineData("{ op = dma-read, device = gpu0, iova = \"iova(m5, 0)\", pages = 1 }", "unknown mirror 'm5' (declared: m0)")]
    public void Unknown_devices_units_mirrors_and_domains_are_named(string step, string message)
    {
        var e = Single(Machine + $"steps = [ {step} ]");
        Assert.Equal(8, e.Position!.Line);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void References_in_the_topology_are_checked_too()
    {
        var errors = Cli.Errors("""
            machine {
              devices { gpu0 { unit = iommu9 } }
              processes { p0 {} }
              mirrors { m0 { process = p1, device = gpu0 }, m1 { process = p0, device = gpu8 } }
            }
            """);
        Assert.Equal(3, errors.Count);
        Assert.Equal("device gpu0: unknown unit 'iommu9' (the machine declares no unit)", errors[0].Message);
        Assert.Equal((2, 27), (errors[0].Position!.Line, errors[0].Position!.Column));
        Assert.Equal("mirror m0: unknown process 'p1' (declared: p0)", errors[1].Message);
        Assert.Equal("mirror m1: unknown device 'gpu8' (declared: gpu0)", errors[2].Message);
    }

    [Fact]
    public void Every_error_is_reported_not_only_the_first()
    {
        var errors = Cli.Errors(Machine + """
            stepz = []
            steps = [
              { op = mmapp }
              { op = munmap, process = p0, address = "buff + 1 page", pages = 1 }
              { op = cpu-read, process = p0, address = 0, expect { errno = EWHAT, bogus = 1 } }
              { op = exit, process = p0, pagez = 3 }
              { op = sleep }
            ]
            """);
        var messages = errors.Select(e => $"{e.Position!.Line}: {e.Message}").ToList();
        Assert.Equal(7, errors.Count);
        Assert.StartsWith("8: unknown top-level key 'stepz'", messages[0]);
        Assert.StartsWith("10: scenario steps[0]: unknown op 'mmapp' (known: alloc-pages, attach,", messages[1]);
        Assert.Equal("11: step munmap 'address': unknown name 'buff' (no step has bound a name before this one) in \"buff + 1 page\"", messages[2]);
        Assert.StartsWith("12: step cpu-read expect: 'errno' holds \"EWHAT\", expected an errno name", messages[3]);
        Assert.Equal("12: step cpu-read expect: unknown key 'bogus'; expected one of: errno, value, values", messages[4]);
        Assert.StartsWith("13: step exit: unknown key 'pagez'; expected one of:", messages[5]);
        Assert.Equal("14: step sleep: missing 'duration' (a duration such as 10us)", messages[6]);
    }

    [Fact]
    public void A_name_is_usable_only_after_the_step_that_binds_it_and_a_branch_does_not_see_its_siblings()
    {
        Assert.Empty(Cli.Errors(Machine + """
            steps = [
              { op = mmap, process = p0, pages = 2, name = buf }
              { op = munmap, process = p0, address = "buf + 1 page", pages = 1 }
            ]
            """));
        var e = Single(Machine + """
            steps = [
              { parallel = [
                { op = mmap, process = p0, pages = 2, name = a }
                { op = munmap, process = p0, address = a, pages = 1 }
              ] }
              { op = munmap, process = p0, address = a, pages = 1 }
            ]
            """);
        Assert.Equal(11, e.Position!.Line);
        Assert.Contains("unknown name 'a'", e.Message);
    }

    [Fact]
    public void A_record_needs_a_field_and_a_field_must_exist()
    {
        var errors = Cli.Errors(Machine + """
            steps = [
              { op = mm-stats, process = p0, name = s }
              { op = eval, value = s }
              { op = eval, value = s.pages }
              { op = eval, value = s.resident-pages }
            ]
            """);
        Assert.Equal(2, errors.Count);
        Assert.Contains("'s' is a record: use s.FIELD", errors[0].Message);
        Assert.Contains("'s' has no field 'pages' (fields: device-faults, hmm-domains, invalidations, mirrors, resident-pages, sequence, vmas)", errors[1].Message);
    }

    [Fact]
    public void A_step_that_creates_an_entity_declares_it_for_the_steps_after_it()
    {
        Assert.Empty(Cli.Errors(Machine + """
            steps = [
              { op = fork, process = p0, child = c1 }
              { op = mirror-open, mirror = cm, process = c1, device = gpu0 }
              { op = exit, process = c1 }
            ]
            """));
        var e = Single(Machine + "steps = [ { op = fork, process = p0, child = p0 } ]");
        Assert.Equal("step fork: process 'p0' already exists", e.Message);
        var clash = Single(Machine + """
            steps = [ { parallel = [
              { op = fork, process = p0, child = c }
              { op = fork, process = p0, child = c }
            ] } ]
            """);
        Assert.Equal("step parallel: process 'c' is created by two branches of this parallel block", clash.Message);
        Assert.Equal(10, clash.Position!.Line);
    }

    [Fact]
    public void Unit_settings_layer_over_akka_hocon_and_are_checked_there()
    {
        // The file overrides iommusim.iommu.defaults for every unit; a combination the unit rejects is reported at the unit.
        var errors = Cli.Errors("""
            iommusim.iommu.defaults.iotlb-ways = 3
            machine { units { iommu0 { preset = intel-vtd } } }
            """);
        var e = Assert.Single(errors);
        Assert.Equal(2, e.Position!.Line);
        Assert.StartsWith("unit iommu0: ", e.Message);
        Assert.Contains("3", e.Message);
        Assert.Empty(Cli.Errors("""
            iommusim.iommu.defaults.iotlb-entries = 64
            machine { units { iommu0 { preset = arm-smmu-v3, micro-tlb-entries = 4 } } }
            """));
    }

    [Fact]
    public void A_device_attached_to_a_domain_of_another_unit_is_refused()
    {
        var e = Single("""
            machine {
              units { a { preset = intel-vtd }, b { preset = arm-smmu-v3 } }
              devices { d0 { unit = a }, d1 { unit = b } }
              iommu-domains { dom { devices = [d0, d1] } }
            }
            """);
        Assert.Equal("iommu-domain dom: device d1 is behind unit b, but iommu-domain dom belongs to unit a (a domain belongs to one IOMMU instance)", e.Message);
    }

    [Fact]
    public void The_built_in_scenarios_parse()
    {
        Assert.NotEmpty(ScenarioLibrary.BuiltInNames);
        foreach (var name in ScenarioLibrary.BuiltInNames)
        {
            var s = ScenarioLibrary.BuiltIn(name);
            Assert.Equal(name, s.Name);
            Assert.NotEmpty(s.Description);
            Assert.True(s.CountSteps() > 0);
        }
    }
}
