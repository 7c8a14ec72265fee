using System.Linq.Expressions;
using System.Reflection;

namespace Dashboard.Data.Canaries.Filtering;

/// <summary>
/// The filter fields that are columns of the stored entity <typeparamref name="T"/>, by the name the
/// filter uses (Nomad's JSON name), so the part of an expression SQL can decide runs in the query.
/// </summary>
public sealed class FilterColumns<T>
{
    internal Dictionary<string, (LambdaExpression Column, bool Text)> Map { get; } = new(StringComparer.Ordinal);

    /// <summary>A string field stored as a non-null text column, compared ordinally by the database (SQLite's BINARY, PostgreSQL's deterministic collation).</summary>
    public FilterColumns<T> Text(string field, Expression<Func<T, string>> column)
    {
        Map[field] = (column, true);
        return this;
    }

    /// <summary>A uint64 field stored as a non-negative 64-bit integer column.</summary>
    public FilterColumns<T> Unsigned(string field, Expression<Func<T, long>> column)
    {
        Map[field] = (column, false);
        return this;
    }
}

/// <summary>
/// Derives from a filter a condition SQL can test that every match satisfies (a necessary condition):
/// the query reads only rows that may match, and the whole filter still runs on them in memory, so
/// the answer and the paging over it are exactly the in-memory answer. Each node gets a necessary
/// condition N (filter ⇒ N) and a sufficient one S (S ⇒ filter): a term SQL decides exactly has
/// N = S; any other term has N = true, S = false; <c>not</c> swaps them (N(not e) = not S(e)).
/// </summary>
internal sealed class FilterNarrowing<T>(FilterColumns<T> columns)
{
    private static readonly ConstantExpression True = Expression.Constant(true);
    private static readonly ConstantExpression False = Expression.Constant(false);
    private static readonly MethodInfo StringContains = typeof(string).GetMethod(nameof(string.Contains), [typeof(string)])!;

    private readonly ParameterExpression _row = Expression.Parameter(typeof(T), "d");

    public Expression<Func<T, bool>>? Build(FilterExpression root, object probe)
    {
        // A term that fails on the probe (an unknown field, a value that does not convert, an operator
        // the type lacks) fails on every row it is evaluated on: leave such a filter to memory, which
        // answers with that error, instead of narrowing the rows until no row ever evaluates it.
        if (!EvaluatesOn(root, probe)) return null;
        var (necessary, _) = Conditions(root);
        return necessary == True ? null : Expression.Lambda<Func<T, bool>>(necessary, _row);
    }

    private static bool EvaluatesOn(FilterExpression node, object probe)
    {
        switch (node)
        {
            case AndExpression and: return and.Terms.All(t => EvaluatesOn(t, probe));
            case OrExpression or: return or.Terms.All(t => EvaluatesOn(t, probe));
            case NotExpression not: return EvaluatesOn(not.Operand, probe);
            case MatchExpression match:
                try
                {
                    match.Evaluate(new Scope(probe, null));
                    return true;
                }
                catch (FilterEvaluationException)
                {
                    return false;
                }
            default: return true; // any/all: their bodies depend on the rows' collections
        }
    }

    private (Expression Necessary, Expression Sufficient) Conditions(FilterExpression node)
    {
        switch (node)
        {
            case AndExpression and:
            {
                var parts = and.Terms.Select(Conditions).ToList();
                return (AllOf(parts.Select(p => p.Necessary)), AllOf(parts.Select(p => p.Sufficient)));
            }
            case OrExpression or:
            {
                var parts = or.Terms.Select(Conditions).ToList();
                return (AnyOf(parts.Select(p => p.Necessary)), AnyOf(parts.Select(p => p.Sufficient)));
            }
            case NotExpression not:
            {
                var (necessary, sufficient) = Conditions(not.Operand);
                return (Negate(sufficient), Negate(necessary));
            }
            case MatchExpression match when Exact(match) is { } exact:
                return (exact, exact);
            default:
                return (True, False);
        }
    }

    /// <summary>The SQL condition equivalent to the term, or null when SQL cannot decide it.</summary>
    private Expression? Exact(MatchExpression match)
    {
        var parts = match.Selector.Parts;
        if (parts.Length != 1 || !columns.Map.TryGetValue(parts[0], out var mapped)) return null;
        var column = new Rebind(mapped.Column.Parameters[0], _row).Visit(mapped.Column.Body);
        var raw = match.Value?.Raw;
        if (mapped.Text)
        {
            return match.Operator switch
            {
                MatchOperator.Equal => Expression.Equal(column, Parameter(raw!)),
                MatchOperator.NotEqual => Expression.NotEqual(column, Parameter(raw!)),
                // Go's strings.Contains with "" is true for every string.
                MatchOperator.In => raw!.Length == 0 ? True : Expression.Call(column, StringContains, Parameter(raw)),
                MatchOperator.NotIn => raw!.Length == 0 ? False : Expression.Not(Expression.Call(column, StringContains, Parameter(raw))),
                MatchOperator.IsEmpty => Expression.Equal(column, Expression.Constant("")),
                MatchOperator.IsNotEmpty => Expression.NotEqual(column, Expression.Constant("")),
                _ => null, // matches: a Go regular expression is not SQL
            };
        }
        if (match.Operator is not (MatchOperator.Equal or MatchOperator.NotEqual) || GoStrconv.ParseUint(raw!, out var value) is not null) return null;
        // Stored indexes are below 2^63: a larger value equals none of them.
        Expression equal = value > long.MaxValue ? False : Expression.Equal(column, Parameter((long)value));
        return match.Operator == MatchOperator.Equal ? equal : Negate(equal);
    }

    private static Expression AllOf(IEnumerable<Expression> terms) => Join(terms, True, False, Expression.AndAlso);

    private static Expression AnyOf(IEnumerable<Expression> terms) => Join(terms, False, True, Expression.OrElse);

    /// <summary><paramref name="identity"/> terms drop out, one <paramref name="absorbing"/> term decides, the rest are joined.</summary>
    private static Expression Join(IEnumerable<Expression> terms, Expression identity, Expression absorbing, Func<Expression, Expression, Expression> join)
    {
        var result = identity;
        foreach (var t in terms)
        {
            if (t == absorbing) return absorbing;
            if (t == identity) continue;
            result = result == identity ? t : join(result, t);
        }
        return result;
    }

    private static Expression Negate(Expression e) => e == True ? False : e == False ? True : Expression.Not(e);

    // A member of a captured object rather than a constant, so EF sends a parameter and reuses its plan.
    private static MemberExpression Parameter<TValue>(TValue value) =>
        Expression.Property(Expression.Constant(new Box<TValue>(value)), nameof(Box<TValue>.Value));

    private sealed record Box<TValue>(TValue Value);

    private sealed class Rebind(ParameterExpression from, ParameterExpression to) : ExpressionVisitor
    {
        protected override Expression VisitParameter(ParameterExpression node) => node == from ? to : node;
    }
}
