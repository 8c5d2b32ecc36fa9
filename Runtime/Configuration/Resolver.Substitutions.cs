namespace IommuSim.Runtime.Configuration;

/// <summary>Where a substitution's value comes from: the configuration, then the environment.</summary>
internal sealed partial class Resolver
{
    private ConfigValue? ResolveSubstitution(SubstitutionNode substitution)
    {
        var saved = _activeSubstitution;
        _activeSubstitution = substitution;
        try
        {
            return ResolveItems(SubstitutionView(substitution));
        }
        finally
        {
            _activeSubstitution = saved;
        }
    }

    /// <summary>
    /// The definitions <paramref name="substitution"/> refers to, highest priority first; empty when it is
    /// optional and undefined. Throws when a required substitution is undefined. The caller makes it the
    /// active substitution, so that errors point at it.
    /// </summary>
    private List<Item> SubstitutionView(SubstitutionNode substitution)
    {
        List<Item>? view = null;
        try
        {
            // HOCON.md: in an included file, look relative to the include point first, then from the root.
            if (substitution.Prefix.Length > 0)
            {
                view = Lookup([.. substitution.Prefix, .. substitution.Path]);
            }

            view ??= Lookup(substitution.Path);
        }
        catch (SubstitutionCycleException cycle) when (substitution.Optional)
        {
            // HOCON.md: an optional substitution treats a cycle like a missing value.
            _frames[^1].Depend(cycle.Frame);
        }

        if (view is not null)
        {
            return view;
        }

        // Only a path absent from the configuration falls back to the environment; an explicit null blocks it.
        if (Environment.GetEnvironmentVariable(string.Join('.', substitution.Path)) is { } variable)
        {
            return [Item.Of(new ConfigString(variable, isQuoted: true, substitution.Position))];
        }

        return substitution.Optional
            ? []
            : throw new ConfigException(substitution.Position, $"could not resolve substitution {substitution.Text}");
    }
}
