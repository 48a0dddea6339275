import { ApiProperty } from '@nestjs/swagger';
import { CSRF_HEADER, ROLES } from '../../../../libs/auth/src';

/* What the console's sign-in routes answer; the session itself travels in an HttpOnly cookie the page cannot read. */

export class WhoAmIResponse {
  @ApiProperty({ example: 'ops-lead', description: "The API key's name or the token's subject: the actor events record." }) id!: string;
  @ApiProperty({ enum: ROLES }) role!: string;
  @ApiProperty({ type: String, nullable: true, format: 'date-time', description: 'When the console session ends; null with a bearer credential.' }) expiresAt!: string | null;
}

export class ConsoleSessionResponse {
  @ApiProperty({ example: 'ops-lead' }) id!: string;
  @ApiProperty({ enum: ROLES }) role!: string;
  @ApiProperty({ description: `Send it as the ${CSRF_HEADER} header with every write made with the session cookie.` }) csrfToken!: string;
  @ApiProperty({ format: 'date-time' }) expiresAt!: string;
}
