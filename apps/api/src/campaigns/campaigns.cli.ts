import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import { newAssignmentKey } from '../../../../libs/campaigns/src';
import { checkId, DomainError, type CampaignCommand } from '../../../../libs/domain/src';
import { executeCampaignCommand } from '../../../../projections/campaigns/campaign-command';
import { campaignView, listCampaigns, type CampaignView } from '../../../../projections/campaigns/campaigns.queries';
import { exitWith, withRuntime } from '../../../engine/src';

const USAGE = `usage: npm run campaigns -- <command>
  list                 every campaign: id, status, arms (treatment/control), name
  show <id>            one campaign: its definition, status and arms, as JSON
  launch <id>          draw the assignment key and assign the audience; prints who went to each arm
  pause <id>           pause a running campaign
  resume <id>          resume a paused campaign
  end <id>             end the campaign
Defining and changing one is done through the API (POST /campaigns, PATCH /campaigns/{id}; docs/campaigns.md).`;

const ACTIONS = { launch: 'LaunchCampaign', pause: 'PauseCampaign', resume: 'ResumeCampaign', end: 'EndCampaign' } as const;
type Args = { command: 'list' } | { command: 'show' | keyof typeof ACTIONS; id: string };

const parseArgs = ([command, ...rest]: string[]): Args | string => {
  if (command === 'list') return rest.length ? `list takes no arguments, got ${rest.join(' ')}` : { command };
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
    const occurredAt = new Date().toISOString();
    const command = (
      args.command === 'launch'
        ? { type: ACTIONS.launch, data: { campaignId: args.id, assignmentKey: newAssignmentKey() }, occurredAt }
        : { type: ACTIONS[args.command], data: { campaignId: args.id }, occurredAt }
    ) as CampaignCommand;
    const metadata = { correlationId: randomUUID(), causationId: randomUUID(), actor: { id: `cli:${userInfo().username}`, role: 'manager' }, source: 'cli' };
    try {
      const answer = await executeCampaignCommand(runtime.readModels, runtime.store, command, metadata);
      const { assignment } = answer;
      console.log(
        `${args.command}: campaign ${args.id} at version ${answer.version}` +
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
