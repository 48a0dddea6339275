import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { newAssignmentKey } from '../../../../libs/campaigns/src';
import { checkId, checkIsoInstant, DomainError, parseDefineCampaign, type CampaignCommand } from '../../../../libs/domain/src';
import { campaignResults } from '../../../../projections/campaigns/campaign-results.queries';
import { executeCampaignCommand } from '../../../../projections/campaigns/campaign-command';
import { campaignView, listCampaigns, type CampaignView } from '../../../../projections/campaigns/campaigns.queries';
import { exitWith, withRuntime } from '../../../engine/src';

const USAGE = `usage: npm run campaigns -- <command>
  list                 every campaign: id, status, arms (treatment/control), name
  define <file.json>   define a campaign from a file holding the body POST /campaigns takes
  show <id>            one campaign: its definition, status and arms, as JSON
  results <id> [asOf]  its results as of an instant (default now), as GET /campaigns/{id}/results answers them
  launch <id>          draw the assignment key and assign the audience; prints who went to each arm
  pause <id>           pause a running campaign
  resume <id>          resume a paused campaign
  end <id>             end the campaign
Changing a definition and the sender's export go through the API (PATCH /campaigns/{id}; GET /campaigns/{id}/export,
where each customer read is in the access log); docs/campaigns.md.`;

const ACTIONS = { launch: 'LaunchCampaign', pause: 'PauseCampaign', resume: 'ResumeCampaign', end: 'EndCampaign' } as const;
type Args = { command: 'list' } | { command: 'define'; file: string } | { command: 'results'; id: string; asOf?: string } | { command: 'show' | keyof typeof ACTIONS; id: string };

const parseArgs = ([command, ...rest]: string[]): Args | string => {
  if (command === 'list') return rest.length ? `list takes no arguments, got ${rest.join(' ')}` : { command };
  if (command === 'define') return rest.length === 1 ? { command, file: rest[0] } : 'define takes one file name';
  if (command === 'results') {
    if (rest.length < 1 || rest.length > 2) return 'results takes a campaign id and, optionally, an instant';
    try {
      checkId('id', rest[0]);
      if (rest[1] !== undefined) checkIsoInstant('asOf', rest[1]);
    } catch (error) {
      return (error as Error).message;
    }
    return { command, id: rest[0], asOf: rest[1] };
  }
  if (command !== 'show' && !(command in ACTIONS)) return command ? `unknown command "${command}"` : 'give a command';
  if (rest.length !== 1) return `${command} takes one campaign id`;
  try {
    checkId('id', rest[0]);
  } catch (error) {
    return `campaign id: ${(error as Error).message}`;
  }
  return { command: command as 'show' | keyof typeof ACTIONS, id: rest[0] };
};

const line = (c: CampaignView): string => `${c.campaignId}\t${c.status}\t${c.arms.treatment}/${c.arms.control}\t${c.name}`;

/** `npm run campaigns -- launch flight-deal`: as the person at the terminal, with a manager's rights (the CLI needs database access anyway). */
async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (typeof args === 'string') {
    console.error(`${args}\n${USAGE}`);
    return 2;
  }
  return withRuntime(async (runtime) => {
    if (args.command === 'list') {
      const campaigns = await listCampaigns(runtime.readModels, { limit: 1000 });
      console.log(['id\tstatus\ttreatment/control\tname', ...campaigns.map(line)].join('\n'));
      return 0;
    }
    if (args.command === 'show') {
      const view = await campaignView(runtime.readModels, args.id);
      if (!view) {
        console.error(`campaign ${args.id} not found`);
        return 1;
      }
      console.log(JSON.stringify(view, null, 2));
      return 0;
    }
    if (args.command === 'results') {
      const results = await campaignResults(runtime.readModels, args.id, new Date(args.asOf ?? Date.now()).toISOString());
      if (!results) {
        console.error(`campaign ${args.id} not found`);
        return 1;
      }
      console.log(JSON.stringify(results, null, 2));
      return 0;
    }
    const occurredAt = new Date().toISOString();
    let body: unknown;
    if (args.command === 'define') {
      try {
        body = JSON.parse(await readFile(args.file, 'utf8'));
      } catch (error) {
        console.error(`${args.file}: ${(error as Error).message}`);
        return 2;
      }
    }
    const parsed = args.command === 'define' ? parseDefineCampaign(body, { campaignId: randomUUID(), occurredAt }) : null;
    if (parsed && !parsed.ok) {
      console.error(`define refused: ${parsed.error.message}`);
      return 1;
    }
    const command = (
      parsed?.ok
        ? parsed.command
        : args.command === 'launch'
        ? { type: ACTIONS.launch, data: { campaignId: args.id, assignmentKey: newAssignmentKey() }, occurredAt }
        : { type: ACTIONS[args.command as keyof typeof ACTIONS], data: { campaignId: (args as { id: string }).id }, occurredAt }
    ) as CampaignCommand;
    const metadata = { correlationId: randomUUID(), causationId: randomUUID(), actor: { id: `cli:${userInfo().username}`, role: 'manager' }, source: 'cli' };
    try {
      const answer = await executeCampaignCommand(runtime.readModels, runtime.store, command, metadata);
      const { assignment } = answer;
      console.log(
        `${args.command}: campaign ${command.data.campaignId} at version ${answer.version}` +
          (assignment ? `; audience ${assignment.audience}, assigned ${assignment.assigned} (treatment ${assignment.treatment}, control ${assignment.control}) in ${assignment.durationMs} ms` : ''),
      );
      return 0;
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      console.error(`${args.command} refused: ${error.message}${'rule' in error ? ` (${String(error.rule)})` : ''}`);
      return 1;
    }
  });
}

exitWith(main(process.argv.slice(2)));
