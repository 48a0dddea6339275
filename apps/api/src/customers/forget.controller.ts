import { randomUUID } from 'node:crypto';
import { Body, Controller, HttpCode, Inject, Param, Post, Req } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import type { Pool } from 'pg';
import { ACCESS } from '../../../../libs/auth/src';
import { parseForgetCustomer } from '../../../../libs/domain/src';
import type { EventStore, KeyedQueue } from '../../../../libs/event-store/src';
import { CustomerKeys, forgetCustomer } from '../../../../libs/privacy/src';
import { Access } from '../auth/access';
import { IdempotentCommand, requestMetadata } from '../http/request-metadata';
import { COMMAND_QUEUE, EVENT_STORE, READ_MODELS } from '../tokens';
import type { CommandAnswer } from './customer-command.handler';
import { COMMAND_ANSWERED } from './customer.responses';

export class ForgetCustomerDto {
  @ApiProperty({
    description: 'Why the customer is forgotten. Stays readable for auditors after the erasure: name the request, never quote personal data.',
    example: 'Erasure request 2025-114 (GDPR art. 17)',
    maxLength: 2000,
  })
  reason!: string;
}

/**
 * The right to be forgotten (issue 7). Not a CustomerCommand through the command bus: forgetting also destroys the
 * customer's data key, in the order libs/privacy forgetCustomer keeps, so it calls that use case directly. It happens
 * now (no occurredAt): the key is destroyed now, whatever the request says.
 */
@ApiTags('customers')
@Controller('customers')
export class ForgetController {
  private readonly keys: CustomerKeys;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(COMMAND_QUEUE) private readonly queue: KeyedQueue,
    @Inject(READ_MODELS) pool: Pool,
  ) {
    this.keys = new CustomerKeys(pool);
  }

  @Access(ACCESS.administer)
  @IdempotentCommand()
  @Post(':id/forget')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Forget the customer: destroy their data key and append CustomerForgotten',
    description:
      'From then on every answer, export and read model shows their personal data erased, while trips, amounts and scores still count. ' +
      '404 for an unknown customer, 409 (rule customer.forgotten) for one already forgotten; neither destroys anything.',
  })
  @ApiBody({ type: ForgetCustomerDto })
  @ApiOkResponse(COMMAND_ANSWERED)
  async forget(@Req() req: Request, @Param('id') id: string, @Body() body: unknown): Promise<CommandAnswer> {
    // Parsed before the store is read with the id (decide parses it again for the use case's other callers).
    const parsed = parseForgetCustomer({ customerId: id, occurredAt: new Date().toISOString(), body: body ?? {} });
    if (!parsed.ok) throw parsed.error;
    const result = await forgetCustomer(this.store, this.keys, parsed.command, {
      metadata: requestMetadata(req, 'api'),
      newId: randomUUID,
      queue: this.queue,
    });
    return { customerId: id, version: result.version, position: result.position };
  }
}
