using Catalyst.Contracts;
using Marten;

namespace Catalyst.Credentials;

/// <summary>An admin sets what a user may spend through the broker per calendar month (UTC); empty fields: no limit.</summary>
public sealed record SetUserBudget(Guid AdminId, Guid UserId, long? Tokens, decimal? Usd)
{
    public IReadOnlyList<CommandError> Validate()
    {
        var errors = new List<CommandError>();
        if (Tokens is <= 0) errors.Add(new("Tokens", "Enter a number of tokens above zero, or leave it empty for no limit."));
        if (Usd is <= 0) errors.Add(new("Usd", "Enter an amount in US dollars above zero, or leave it empty for no limit."));
        return errors;
    }
}

/// <summary>Each user's monthly budget and what they spent so far this month, for the admin's budgets page.</summary>
public sealed record ListUserBudgets(IReadOnlyList<Guid> UserIds);

public sealed record UserBudgetView(Guid UserId, long? Tokens, decimal? Usd, long SpentTokens, decimal SpentUsd);

public static class SetUserBudgetHandler
{
    public static Result<UserBudgetView> Handle(SetUserBudget command, IDocumentSession session, TaskTokenCache tokens, TimeProvider clock)
    {
        if (command.Validate() is { Count: > 0 } errors) return new(null, errors);
        session.Store(new UserBudget { Id = command.UserId, Monthly = new TaskBudget(command.Tokens, command.Usd), SetBy = command.AdminId, SetAt = clock.GetUtcNow() });
        // Grants carry the budget for a few seconds: a new one applies from the next request on this node.
        tokens.ForgetAll();
        return Result<UserBudgetView>.Ok(new UserBudgetView(command.UserId, command.Tokens, command.Usd, 0, 0));
    }

    public static async Task<IReadOnlyList<UserBudgetView>> Handle(ListUserBudgets query, IQuerySession session, LlmSpend spend, TimeProvider clock, CancellationToken ct)
    {
        var budgets = (await session.LoadManyAsync<UserBudget>(ct, query.UserIds)).ToDictionary(b => b.Id);
        var spent = await spend.MonthOfAsync(query.UserIds, clock.GetUtcNow(), ct);
        return query.UserIds.Select(id =>
        {
            var budget = budgets.GetValueOrDefault(id)?.Monthly ?? TaskBudget.None;
            var month = spent.GetValueOrDefault(id);
            return new UserBudgetView(id, budget.Tokens, budget.Usd, month.Tokens, month.Usd);
        }).ToList();
    }
}
