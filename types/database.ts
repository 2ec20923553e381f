export type Json = string | number | boolean | null | { [key: string]: Json | undefined } | Json[];

export type Database = {
  "compliance": {
    Tables: {
      "approval_policies": {
        Row: {
          "contract_type": string;
          "created_at": string;
          "id": string;
          "org_id": string;
          "required_approvals": number;
          "role_order": (string)[] | null;
        };
        ComputedFields: never;
        Insert: {
          "contract_type"?: string;
          "created_at"?: string;
          "id"?: string;
          "org_id": string;
          "required_approvals"?: number;
          "role_order"?: (string)[] | null;
        };
        Update: {
          "contract_type"?: string;
          "created_at"?: string;
          "id"?: string;
          "org_id"?: string;
          "required_approvals"?: number;
          "role_order"?: (string)[] | null;
        };
        Relationships: [];
      };
      "certification_reminders": {
        Row: {
          "certification_id": string;
          "sent_at": string;
          "threshold": string;
        };
        ComputedFields: never;
        Insert: {
          "certification_id": string;
          "sent_at"?: string;
          "threshold": string;
        };
        Update: {
          "certification_id"?: string;
          "sent_at"?: string;
          "threshold"?: string;
        };
        Relationships: [
          {
            foreignKeyName: "certification_reminders_certification_id_fkey";
            columns: ["certification_id"];
            isOneToOne: false;
            referencedRelation: "certifications";
            referencedColumns: ["id"];
          },
        ];
      };
      "certification_types": {
        Row: {
          "created_at": string;
          "description": string;
          "id": string;
          "name": string;
          "org_id": string;
          "required_department_ids": (string)[];
          "required_role_keys": (string)[];
          "validity_months": number | null;
        };
        ComputedFields: never;
        Insert: {
          "created_at"?: string;
          "description"?: string;
          "id"?: string;
          "name": string;
          "org_id": string;
          "required_department_ids"?: (string)[];
          "required_role_keys"?: (string)[];
          "validity_months"?: number | null;
        };
        Update: {
          "created_at"?: string;
          "description"?: string;
          "id"?: string;
          "name"?: string;
          "org_id"?: string;
          "required_department_ids"?: (string)[];
          "required_role_keys"?: (string)[];
          "validity_months"?: number | null;
        };
        Relationships: [];
      };
      "certifications": {
        Row: {
          "completed_on": string;
          "created_at": string;
          "evidence_document_id": string | null;
          "expires_on": string | null;
          "id": string;
          "issuer": string;
          "org_id": string;
          "recorded_by": string | null;
          "type_id": string;
          "user_id": string;
          "verified_at": string | null;
          "verified_by": string | null;
        };
        ComputedFields: never;
        Insert: {
          "completed_on": string;
          "created_at"?: string;
          "evidence_document_id"?: string | null;
          "expires_on"?: string | null;
          "id"?: string;
          "issuer"?: string;
          "org_id": string;
          "recorded_by"?: string | null;
          "type_id": string;
          "user_id": string;
          "verified_at"?: string | null;
          "verified_by"?: string | null;
        };
        Update: {
          "completed_on"?: string;
          "created_at"?: string;
          "evidence_document_id"?: string | null;
          "expires_on"?: string | null;
          "id"?: string;
          "issuer"?: string;
          "org_id"?: string;
          "recorded_by"?: string | null;
          "type_id"?: string;
          "user_id"?: string;
          "verified_at"?: string | null;
          "verified_by"?: string | null;
        };
        Relationships: [
          {
            foreignKeyName: "certifications_member_fkey";
            columns: ["org_id", "user_id"];
            isOneToOne: false;
            referencedRelation: "certification_status";
            referencedColumns: ["org_id", "user_id"];
          },
          {
            foreignKeyName: "certifications_type_fkey";
            columns: ["org_id", "type_id"];
            isOneToOne: false;
            referencedRelation: "certification_types";
            referencedColumns: ["org_id", "id"];
          },
        ];
      };
      "contract_approvals": {
        Row: {
          "approver_id": string | null;
          "comment": string;
          "contract_id": string;
          "created_at": string;
          "decided_at": string | null;
          "id": string;
          "org_id": string;
          "role_key": string | null;
          "status": string;
          "step": number;
        };
        ComputedFields: never;
        Insert: {
          "approver_id"?: string | null;
          "comment"?: string;
          "contract_id": string;
          "created_at"?: string;
          "decided_at"?: string | null;
          "id"?: string;
          "org_id": string;
          "role_key"?: string | null;
          "status"?: string;
          "step": number;
        };
        Update: {
          "approver_id"?: string | null;
          "comment"?: string;
          "contract_id"?: string;
          "created_at"?: string;
          "decided_at"?: string | null;
          "id"?: string;
          "org_id"?: string;
          "role_key"?: string | null;
          "status"?: string;
          "step"?: number;
        };
        Relationships: [
          {
            foreignKeyName: "contract_approvals_contract_fkey";
            columns: ["org_id", "contract_id"];
            isOneToOne: false;
            referencedRelation: "contracts";
            referencedColumns: ["org_id", "id"];
          },
        ];
      };
      "contract_assignees": {
        Row: {
          "contract_id": string;
          "created_at": string;
          "org_id": string;
          "user_id": string;
        };
        ComputedFields: never;
        Insert: {
          "contract_id": string;
          "created_at"?: string;
          "org_id": string;
          "user_id": string;
        };
        Update: {
          "contract_id"?: string;
          "created_at"?: string;
          "org_id"?: string;
          "user_id"?: string;
        };
        Relationships: [
          {
            foreignKeyName: "contract_assignees_contract_fkey";
            columns: ["org_id", "contract_id"];
            isOneToOne: false;
            referencedRelation: "contracts";
            referencedColumns: ["org_id", "id"];
          },
        ];
      };
      "contract_departments": {
        Row: {
          "contract_id": string;
          "department_id": string;
          "org_id": string;
        };
        ComputedFields: never;
        Insert: {
          "contract_id": string;
          "department_id": string;
          "org_id": string;
        };
        Update: {
          "contract_id"?: string;
          "department_id"?: string;
          "org_id"?: string;
        };
        Relationships: [
          {
            foreignKeyName: "contract_departments_contract_fkey";
            columns: ["org_id", "contract_id"];
            isOneToOne: false;
            referencedRelation: "contracts";
            referencedColumns: ["org_id", "id"];
          },
        ];
      };
      "contract_parties": {
        Row: {
          "contact_name": string | null;
          "contract_id": string;
          "created_at": string;
          "department_id": string | null;
          "email": string | null;
          "id": string;
          "kind": string;
          "name": string;
          "org_id": string;
          "phone": string | null;
        };
        ComputedFields: never;
        Insert: {
          "contact_name"?: string | null;
          "contract_id": string;
          "created_at"?: string;
          "department_id"?: string | null;
          "email"?: string | null;
          "id"?: string;
          "kind": string;
          "name": string;
          "org_id": string;
          "phone"?: string | null;
        };
        Update: {
          "contact_name"?: string | null;
          "contract_id"?: string;
          "created_at"?: string;
          "department_id"?: string | null;
          "email"?: string | null;
          "id"?: string;
          "kind"?: string;
          "name"?: string;
          "org_id"?: string;
          "phone"?: string | null;
        };
        Relationships: [
          {
            foreignKeyName: "contract_parties_contract_fkey";
            columns: ["org_id", "contract_id"];
            isOneToOne: false;
            referencedRelation: "contracts";
            referencedColumns: ["org_id", "id"];
          },
        ];
      };
      "contract_reminders": {
        Row: {
          "contract_id": string;
          "days": number;
          "kind": string;
          "sent_at": string;
        };
        ComputedFields: never;
        Insert: {
          "contract_id": string;
          "days": number;
          "kind": string;
          "sent_at"?: string;
        };
        Update: {
          "contract_id"?: string;
          "days"?: number;
          "kind"?: string;
          "sent_at"?: string;
        };
        Relationships: [
          {
            foreignKeyName: "contract_reminders_contract_id_fkey";
            columns: ["contract_id"];
            isOneToOne: false;
            referencedRelation: "contracts";
            referencedColumns: ["id"];
          },
        ];
      };
      "contracts": {
        Row: {
          "auto_renew": boolean;
          "contract_type": string;
          "created_at": string;
          "currency": string | null;
          "decided_at": string | null;
          "department_id": string | null;
          "end_date": string | null;
          "id": string;
          "org_id": string;
          "owner_id": string | null;
          "proposed_at": string | null;
          "proposed_by": string | null;
          "reference": string;
          "renewal_notice_date": string | null;
          "start_date": string;
          "status": Database["compliance"]["Enums"]["contract_status"];
          "title": string;
          "updated_at": string;
          "value": number | null;
        };
        ComputedFields: never;
        Insert: {
          "auto_renew"?: boolean;
          "contract_type"?: string;
          "created_at"?: string;
          "currency"?: string | null;
          "decided_at"?: string | null;
          "department_id"?: string | null;
          "end_date"?: string | null;
          "id"?: string;
          "org_id": string;
          "owner_id"?: string | null;
          "proposed_at"?: string | null;
          "proposed_by"?: string | null;
          "reference": string;
          "renewal_notice_date"?: string | null;
          "start_date": string;
          "status"?: Database["compliance"]["Enums"]["contract_status"];
          "title": string;
          "updated_at"?: string;
          "value"?: number | null;
        };
        Update: {
          "auto_renew"?: boolean;
          "contract_type"?: string;
          "created_at"?: string;
          "currency"?: string | null;
          "decided_at"?: string | null;
          "department_id"?: string | null;
          "end_date"?: string | null;
          "id"?: string;
          "org_id"?: string;
          "owner_id"?: string | null;
          "proposed_at"?: string | null;
          "proposed_by"?: string | null;
          "reference"?: string;
          "renewal_notice_date"?: string | null;
          "start_date"?: string;
          "status"?: Database["compliance"]["Enums"]["contract_status"];
          "title"?: string;
          "updated_at"?: string;
          "value"?: number | null;
        };
        Relationships: [
          {
            foreignKeyName: "contracts_currency_fkey";
            columns: ["currency"];
            isOneToOne: false;
            referencedRelation: "currencies";
            referencedColumns: ["code"];
          },
        ];
      };
      "contracts_documents": {
        Row: {
          "created_at": string;
          "created_by": string | null;
          "document_id": string;
          "org_id": string;
          "record_id": string;
        };
        ComputedFields: never;
        Insert: {
          "created_at"?: string;
          "created_by"?: string | null;
          "document_id": string;
          "org_id": string;
          "record_id": string;
        };
        Update: {
          "created_at"?: string;
          "created_by"?: string | null;
          "document_id"?: string;
          "org_id"?: string;
          "record_id"?: string;
        };
        Relationships: [
          {
            foreignKeyName: "contracts_documents_org_id_record_id_fkey";
            columns: ["org_id", "record_id"];
            isOneToOne: false;
            referencedRelation: "contracts";
            referencedColumns: ["org_id", "id"];
          },
        ];
      };
      "currencies": {
        Row: {
          "code": string;
        };
        ComputedFields: never;
        Insert: {
          "code": string;
        };
        Update: {
          "code"?: string;
        };
        Relationships: [];
      };
      "settings": {
        Row: {
          "certification_warning_days": number;
          "end_reminder_days": (number)[];
          "org_id": string;
          "renewal_reminder_days": (number)[];
        };
        ComputedFields: never;
        Insert: {
          "certification_warning_days"?: number;
          "end_reminder_days"?: (number)[];
          "org_id": string;
          "renewal_reminder_days"?: (number)[];
        };
        Update: {
          "certification_warning_days"?: number;
          "end_reminder_days"?: (number)[];
          "org_id"?: string;
          "renewal_reminder_days"?: (number)[];
        };
        Relationships: [];
      };
    };
    Views: {
      "certification_status": {
        Row: {
          "completed_on": string | null;
          "department_id": string | null;
          "expires_on": string | null;
          "org_id": string;
          "status": string | null;
          "type_id": string;
          "type_name": string;
          "user_id": string;
          "verified_at": string | null;
        };
        ComputedFields: never;
        Relationships: [];
      };
    };
    Functions: {
      "activate_contract": {
        Args: { "p_contract_id": string };
        Returns: {
          "auto_renew": boolean;
          "contract_type": string;
          "created_at": string;
          "currency": string | null;
          "decided_at": string | null;
          "department_id": string | null;
          "end_date": string | null;
          "id": string;
          "org_id": string;
          "owner_id": string | null;
          "proposed_at": string | null;
          "proposed_by": string | null;
          "reference": string;
          "renewal_notice_date": string | null;
          "start_date": string;
          "status": Database["compliance"]["Enums"]["contract_status"];
          "title": string;
          "updated_at": string;
          "value": number | null;
        };
        SetofOptions: {
          from: "*";
          to: "contracts";
          isOneToOne: true;
          isSetofReturn: false;
        };
      };
      "approve_contract": {
        Args: { "p_comment"?: string; "p_contract_id": string };
        Returns: {
          "auto_renew": boolean;
          "contract_type": string;
          "created_at": string;
          "currency": string | null;
          "decided_at": string | null;
          "department_id": string | null;
          "end_date": string | null;
          "id": string;
          "org_id": string;
          "owner_id": string | null;
          "proposed_at": string | null;
          "proposed_by": string | null;
          "reference": string;
          "renewal_notice_date": string | null;
          "start_date": string;
          "status": Database["compliance"]["Enums"]["contract_status"];
          "title": string;
          "updated_at": string;
          "value": number | null;
        };
        SetofOptions: {
          from: "*";
          to: "contracts";
          isOneToOne: true;
          isSetofReturn: false;
        };
      };
      "compliance_rate": {
        Args: { "p_org_id": string };
        Returns: {
          "compliant": number;
          "department_id": string;
          "department_name": string;
          "rate": number;
          "required": number;
          "type_id": string;
          "type_name": string;
        }[];
      };
      "contracts_by_status": {
        Args: { "p_org_id": string };
        Returns: {
          "contracts": number;
          "status": Database["compliance"]["Enums"]["contract_status"];
        }[];
      };
      "missing_certifications": {
        Args: { "p_org_id": string };
        Returns: {
          "display_name": string;
          "status": string;
          "type_id": string;
          "type_name": string;
          "user_id": string;
        }[];
      };
      "my_pending_approvals": {
        Args: Record<PropertyKey, never>;
        Returns: {
          "auto_renew": boolean;
          "contract_type": string;
          "created_at": string;
          "currency": string | null;
          "decided_at": string | null;
          "department_id": string | null;
          "end_date": string | null;
          "id": string;
          "org_id": string;
          "owner_id": string | null;
          "proposed_at": string | null;
          "proposed_by": string | null;
          "reference": string;
          "renewal_notice_date": string | null;
          "start_date": string;
          "status": Database["compliance"]["Enums"]["contract_status"];
          "title": string;
          "updated_at": string;
          "value": number | null;
        }[];
        SetofOptions: {
          from: "*";
          to: "contracts";
          isOneToOne: false;
          isSetofReturn: true;
        };
      };
      "propose_contract": {
        Args: { "p_contract_id": string };
        Returns: {
          "auto_renew": boolean;
          "contract_type": string;
          "created_at": string;
          "currency": string | null;
          "decided_at": string | null;
          "department_id": string | null;
          "end_date": string | null;
          "id": string;
          "org_id": string;
          "owner_id": string | null;
          "proposed_at": string | null;
          "proposed_by": string | null;
          "reference": string;
          "renewal_notice_date": string | null;
          "start_date": string;
          "status": Database["compliance"]["Enums"]["contract_status"];
          "title": string;
          "updated_at": string;
          "value": number | null;
        };
        SetofOptions: {
          from: "*";
          to: "contracts";
          isOneToOne: true;
          isSetofReturn: false;
        };
      };
      "reject_contract": {
        Args: { "p_comment": string; "p_contract_id": string };
        Returns: {
          "auto_renew": boolean;
          "contract_type": string;
          "created_at": string;
          "currency": string | null;
          "decided_at": string | null;
          "department_id": string | null;
          "end_date": string | null;
          "id": string;
          "org_id": string;
          "owner_id": string | null;
          "proposed_at": string | null;
          "proposed_by": string | null;
          "reference": string;
          "renewal_notice_date": string | null;
          "start_date": string;
          "status": Database["compliance"]["Enums"]["contract_status"];
          "title": string;
          "updated_at": string;
          "value": number | null;
        };
        SetofOptions: {
          from: "*";
          to: "contracts";
          isOneToOne: true;
          isSetofReturn: false;
        };
      };
      "renew_contract": {
        Args: { "p_contract_id": string };
        Returns: {
          "auto_renew": boolean;
          "contract_type": string;
          "created_at": string;
          "currency": string | null;
          "decided_at": string | null;
          "department_id": string | null;
          "end_date": string | null;
          "id": string;
          "org_id": string;
          "owner_id": string | null;
          "proposed_at": string | null;
          "proposed_by": string | null;
          "reference": string;
          "renewal_notice_date": string | null;
          "start_date": string;
          "status": Database["compliance"]["Enums"]["contract_status"];
          "title": string;
          "updated_at": string;
          "value": number | null;
        };
        SetofOptions: {
          from: "*";
          to: "contracts";
          isOneToOne: true;
          isSetofReturn: false;
        };
      };
      "rework_contract": {
        Args: { "p_contract_id": string };
        Returns: {
          "auto_renew": boolean;
          "contract_type": string;
          "created_at": string;
          "currency": string | null;
          "decided_at": string | null;
          "department_id": string | null;
          "end_date": string | null;
          "id": string;
          "org_id": string;
          "owner_id": string | null;
          "proposed_at": string | null;
          "proposed_by": string | null;
          "reference": string;
          "renewal_notice_date": string | null;
          "start_date": string;
          "status": Database["compliance"]["Enums"]["contract_status"];
          "title": string;
          "updated_at": string;
          "value": number | null;
        };
        SetofOptions: {
          from: "*";
          to: "contracts";
          isOneToOne: true;
          isSetofReturn: false;
        };
      };
      "terminate_contract": {
        Args: { "p_contract_id": string };
        Returns: {
          "auto_renew": boolean;
          "contract_type": string;
          "created_at": string;
          "currency": string | null;
          "decided_at": string | null;
          "department_id": string | null;
          "end_date": string | null;
          "id": string;
          "org_id": string;
          "owner_id": string | null;
          "proposed_at": string | null;
          "proposed_by": string | null;
          "reference": string;
          "renewal_notice_date": string | null;
          "start_date": string;
          "status": Database["compliance"]["Enums"]["contract_status"];
          "title": string;
          "updated_at": string;
          "value": number | null;
        };
        SetofOptions: {
          from: "*";
          to: "contracts";
          isOneToOne: true;
          isSetofReturn: false;
        };
      };
      "upcoming_deadlines": {
        Args: { "p_days"?: number; "p_org_id": string };
        Returns: {
          "contract_id": string;
          "deadline": string;
          "kind": string;
          "reference": string;
          "title": string;
        }[];
      };
    };
    Enums: {
      "contract_status":
        | "draft"
        | "proposed"
        | "approved"
        | "rejected"
        | "active"
        | "expired"
        | "terminated"
        | "renewed";
    };
    CompositeTypes: {
      [_ in never]: never;
    };
  };
  "public": {
    Tables: {
      "availability_overrides": {
        Row: {
          "created_at": string;
          "end_time": string | null;
          "id": string;
          "local_date": string;
          "org_id": string;
          "resource_id": string;
          "start_time": string | null;
        };
        ComputedFields: never;
        Insert: {
          "created_at"?: string;
          "end_time"?: string | null;
          "id"?: string;
          "local_date": string;
          "org_id": string;
          "resource_id": string;
          "start_time"?: string | null;
        };
        Update: {
          "created_at"?: string;
          "end_time"?: string | null;
          "id"?: string;
          "local_date"?: string;
          "org_id"?: string;
          "resource_id"?: string;
          "start_time"?: string | null;
        };
        Relationships: [
          {
            foreignKeyName: "availability_overrides_resource_fkey";
            columns: ["org_id", "resource_id"];
            isOneToOne: false;
            referencedRelation: "resources";
            referencedColumns: ["org_id", "id"];
          },
        ];
      };
      "availability_rules": {
        Row: {
          "created_at": string;
          "end_time": string;
          "id": string;
          "org_id": string;
          "resource_id": string;
          "start_time": string;
          "weekday": number;
        };
        ComputedFields: never;
        Insert: {
          "created_at"?: string;
          "end_time": string;
          "id"?: string;
          "org_id": string;
          "resource_id": string;
          "start_time": string;
          "weekday": number;
        };
        Update: {
          "created_at"?: string;
          "end_time"?: string;
          "id"?: string;
          "org_id"?: string;
          "resource_id"?: string;
          "start_time"?: string;
          "weekday"?: number;
        };
        Relationships: [
          {
            foreignKeyName: "availability_rules_resource_fkey";
            columns: ["org_id", "resource_id"];
            isOneToOne: false;
            referencedRelation: "resources";
            referencedColumns: ["org_id", "id"];
          },
        ];
      };
      "booking_attendees": {
        Row: {
          "booking_id": string;
          "created_at": string;
          "email": string;
          "id": string;
          "name": string;
          "org_id": string;
          "user_id": string | null;
        };
        ComputedFields: never;
        Insert: {
          "booking_id": string;
          "created_at"?: string;
          "email": string;
          "id"?: string;
          "name"?: string;
          "org_id": string;
          "user_id"?: string | null;
        };
        Update: {
          "booking_id"?: string;
          "created_at"?: string;
          "email"?: string;
          "id"?: string;
          "name"?: string;
          "org_id"?: string;
          "user_id"?: string | null;
        };
        Relationships: [
          {
            foreignKeyName: "booking_attendees_booking_fkey";
            columns: ["org_id", "booking_id"];
            isOneToOne: false;
            referencedRelation: "bookings";
            referencedColumns: ["org_id", "id"];
          },
        ];
      };
      "bookings": {
        Row: {
          "blocked": unknown;
          "booked_by": string | null;
          "buffer_after_minutes": number;
          "buffer_before_minutes": number;
          "cancel_reason": string | null;
          "created_at": string;
          "hold_expires_at": string | null;
          "id": string;
          "idempotency_key": string | null;
          "notes": string;
          "org_id": string;
          "period": unknown;
          "resource_id": string;
          "status": Database["public"]["Enums"]["booking_status"];
          "title": string;
          "updated_at": string;
          "video_url": string | null;
        };
        ComputedFields: never;
        Insert: {
          "blocked": unknown;
          "booked_by"?: string | null;
          "buffer_after_minutes"?: number;
          "buffer_before_minutes"?: number;
          "cancel_reason"?: string | null;
          "created_at"?: string;
          "hold_expires_at"?: string | null;
          "id"?: string;
          "idempotency_key"?: string | null;
          "notes"?: string;
          "org_id": string;
          "period": unknown;
          "resource_id": string;
          "status"?: Database["public"]["Enums"]["booking_status"];
          "title"?: string;
          "updated_at"?: string;
          "video_url"?: string | null;
        };
        Update: {
          "blocked"?: unknown;
          "booked_by"?: string | null;
          "buffer_after_minutes"?: number;
          "buffer_before_minutes"?: number;
          "cancel_reason"?: string | null;
          "created_at"?: string;
          "hold_expires_at"?: string | null;
          "id"?: string;
          "idempotency_key"?: string | null;
          "notes"?: string;
          "org_id"?: string;
          "period"?: unknown;
          "resource_id"?: string;
          "status"?: Database["public"]["Enums"]["booking_status"];
          "title"?: string;
          "updated_at"?: string;
          "video_url"?: string | null;
        };
        Relationships: [
          {
            foreignKeyName: "bookings_resource_fkey";
            columns: ["org_id", "resource_id"];
            isOneToOne: false;
            referencedRelation: "resources";
            referencedColumns: ["org_id", "id"];
          },
        ];
      };
      "calendar_feeds": {
        Row: {
          "created_at": string;
          "id": string;
          "label": string;
          "last_used_at": string | null;
          "revoked_at": string | null;
          "token_hash": string;
          "user_id": string;
        };
        ComputedFields: never;
        Insert: {
          "created_at"?: string;
          "id"?: string;
          "label"?: string;
          "last_used_at"?: string | null;
          "revoked_at"?: string | null;
          "token_hash": string;
          "user_id"?: string;
        };
        Update: {
          "created_at"?: string;
          "id"?: string;
          "label"?: string;
          "last_used_at"?: string | null;
          "revoked_at"?: string | null;
          "token_hash"?: string;
          "user_id"?: string;
        };
        Relationships: [];
      };
      "departments": {
        Row: {
          "archived_at": string | null;
          "created_at": string;
          "id": string;
          "name": string;
          "org_id": string;
          "parent_id": string | null;
          "updated_at": string;
        };
        ComputedFields: never;
        Insert: {
          "archived_at"?: string | null;
          "created_at"?: string;
          "id"?: string;
          "name": string;
          "org_id": string;
          "parent_id"?: string | null;
          "updated_at"?: string;
        };
        Update: {
          "archived_at"?: string | null;
          "created_at"?: string;
          "id"?: string;
          "name"?: string;
          "org_id"?: string;
          "parent_id"?: string | null;
          "updated_at"?: string;
        };
        Relationships: [
          {
            foreignKeyName: "departments_org_id_fkey";
            columns: ["org_id"];
            isOneToOne: false;
            referencedRelation: "organizations";
            referencedColumns: ["id"];
          },
          {
            foreignKeyName: "departments_parent_fkey";
            columns: ["org_id", "parent_id"];
            isOneToOne: false;
            referencedRelation: "departments";
            referencedColumns: ["org_id", "id"];
          },
        ];
      };
      "document_versions": {
        Row: {
          "created_at": string;
          "document_id": string;
          "file_name": string;
          "id": string;
          "mime_type": string;
          "org_id": string;
          "sha256": string | null;
          "size_bytes": number;
          "status": Database["public"]["Enums"]["document_version_status"];
          "storage_path": string;
          "uploaded_at": string | null;
          "uploaded_by": string | null;
          "version": number;
        };
        ComputedFields: never;
        Insert: {
          "created_at"?: string;
          "document_id": string;
          "file_name": string;
          "id"?: string;
          "mime_type": string;
          "org_id": string;
          "sha256"?: string | null;
          "size_bytes": number;
          "status"?: Database["public"]["Enums"]["document_version_status"];
          "storage_path": string;
          "uploaded_at"?: string | null;
          "uploaded_by"?: string | null;
          "version": number;
        };
        Update: {
          "created_at"?: string;
          "document_id"?: string;
          "file_name"?: string;
          "id"?: string;
          "mime_type"?: string;
          "org_id"?: string;
          "sha256"?: string | null;
          "size_bytes"?: number;
          "status"?: Database["public"]["Enums"]["document_version_status"];
          "storage_path"?: string;
          "uploaded_at"?: string | null;
          "uploaded_by"?: string | null;
          "version"?: number;
        };
        Relationships: [
          {
            foreignKeyName: "document_versions_document_fkey";
            columns: ["org_id", "document_id"];
            isOneToOne: false;
            referencedRelation: "documents";
            referencedColumns: ["org_id", "id"];
          },
        ];
      };
      "documents": {
        Row: {
          "created_at": string;
          "current_version": number;
          "deleted_at": string | null;
          "deleted_by": string | null;
          "department_id": string | null;
          "id": string;
          "org_id": string;
          "owner_id": string | null;
          "purge_after": string | null;
          "status": string | null;
          "title": string;
          "updated_at": string;
        };
        ComputedFields: never;
        Insert: {
          "created_at"?: string;
          "current_version"?: number;
          "deleted_at"?: string | null;
          "deleted_by"?: string | null;
          "department_id"?: string | null;
          "id"?: string;
          "org_id": string;
          "owner_id"?: string | null;
          "purge_after"?: string | null;
          "status"?: never;
          "title": string;
          "updated_at"?: string;
        };
        Update: {
          "created_at"?: string;
          "current_version"?: number;
          "deleted_at"?: string | null;
          "deleted_by"?: string | null;
          "department_id"?: string | null;
          "id"?: string;
          "org_id"?: string;
          "owner_id"?: string | null;
          "purge_after"?: string | null;
          "status"?: never;
          "title"?: string;
          "updated_at"?: string;
        };
        Relationships: [
          {
            foreignKeyName: "documents_department_fkey";
            columns: ["org_id", "department_id"];
            isOneToOne: false;
            referencedRelation: "departments";
            referencedColumns: ["org_id", "id"];
          },
          {
            foreignKeyName: "documents_org_id_fkey";
            columns: ["org_id"];
            isOneToOne: false;
            referencedRelation: "organizations";
            referencedColumns: ["id"];
          },
        ];
      };
      "invitations": {
        Row: {
          "accepted_by": string | null;
          "created_at": string;
          "department_id": string | null;
          "email": string;
          "expires_at": string;
          "id": string;
          "invited_by": string | null;
          "last_sent_at": string;
          "org_id": string;
          "resent_count": number;
          "responded_at": string | null;
          "role_id": string;
          "status": Database["public"]["Enums"]["invitation_status"];
          "token_hash": string;
          "updated_at": string;
        };
        ComputedFields: never;
        Insert: {
          "accepted_by"?: string | null;
          "created_at"?: string;
          "department_id"?: string | null;
          "email": string;
          "expires_at": string;
          "id"?: string;
          "invited_by"?: string | null;
          "last_sent_at"?: string;
          "org_id": string;
          "resent_count"?: number;
          "responded_at"?: string | null;
          "role_id": string;
          "status"?: Database["public"]["Enums"]["invitation_status"];
          "token_hash": string;
          "updated_at"?: string;
        };
        Update: {
          "accepted_by"?: string | null;
          "created_at"?: string;
          "department_id"?: string | null;
          "email"?: string;
          "expires_at"?: string;
          "id"?: string;
          "invited_by"?: string | null;
          "last_sent_at"?: string;
          "org_id"?: string;
          "resent_count"?: number;
          "responded_at"?: string | null;
          "role_id"?: string;
          "status"?: Database["public"]["Enums"]["invitation_status"];
          "token_hash"?: string;
          "updated_at"?: string;
        };
        Relationships: [
          {
            foreignKeyName: "invitations_department_fkey";
            columns: ["org_id", "department_id"];
            isOneToOne: false;
            referencedRelation: "departments";
            referencedColumns: ["org_id", "id"];
          },
          {
            foreignKeyName: "invitations_org_id_fkey";
            columns: ["org_id"];
            isOneToOne: false;
            referencedRelation: "organizations";
            referencedColumns: ["id"];
          },
          {
            foreignKeyName: "invitations_role_fkey";
            columns: ["org_id", "role_id"];
            isOneToOne: false;
            referencedRelation: "roles";
            referencedColumns: ["org_id", "id"];
          },
        ];
      };
      "members": {
        Row: {
          "created_at": string;
          "department_id": string | null;
          "id": string;
          "org_id": string;
          "role_id": string;
          "status": Database["public"]["Enums"]["member_status"];
          "suspended_at": string | null;
          "updated_at": string;
          "user_id": string;
        };
        ComputedFields: never;
        Insert: {
          "created_at"?: string;
          "department_id"?: string | null;
          "id"?: string;
          "org_id": string;
          "role_id": string;
          "status"?: Database["public"]["Enums"]["member_status"];
          "suspended_at"?: string | null;
          "updated_at"?: string;
          "user_id": string;
        };
        Update: {
          "created_at"?: string;
          "department_id"?: string | null;
          "id"?: string;
          "org_id"?: string;
          "role_id"?: string;
          "status"?: Database["public"]["Enums"]["member_status"];
          "suspended_at"?: string | null;
          "updated_at"?: string;
          "user_id"?: string;
        };
        Relationships: [
          {
            foreignKeyName: "members_department_fkey";
            columns: ["org_id", "department_id"];
            isOneToOne: false;
            referencedRelation: "departments";
            referencedColumns: ["org_id", "id"];
          },
          {
            foreignKeyName: "members_org_id_fkey";
            columns: ["org_id"];
            isOneToOne: false;
            referencedRelation: "organizations";
            referencedColumns: ["id"];
          },
          {
            foreignKeyName: "members_role_fkey";
            columns: ["org_id", "role_id"];
            isOneToOne: false;
            referencedRelation: "roles";
            referencedColumns: ["org_id", "id"];
          },
        ];
      };
      "notification_preferences": {
        Row: {
          "channel": Database["public"]["Enums"]["notification_channel"];
          "digest": Database["public"]["Enums"]["notification_digest"];
          "enabled": boolean;
          "type": string;
          "updated_at": string;
          "user_id": string;
        };
        ComputedFields: never;
        Insert: {
          "channel": Database["public"]["Enums"]["notification_channel"];
          "digest"?: Database["public"]["Enums"]["notification_digest"];
          "enabled"?: boolean;
          "type": string;
          "updated_at"?: string;
          "user_id": string;
        };
        Update: {
          "channel"?: Database["public"]["Enums"]["notification_channel"];
          "digest"?: Database["public"]["Enums"]["notification_digest"];
          "enabled"?: boolean;
          "type"?: string;
          "updated_at"?: string;
          "user_id"?: string;
        };
        Relationships: [];
      };
      "notifications": {
        Row: {
          "archived_at": string | null;
          "body": string;
          "created_at": string;
          "data": NonNullable<Json>;
          "deliver_at": string;
          "email_delivered_at": string | null;
          "email_opened_at": string | null;
          "email_state": string;
          "group_count": number;
          "group_key": string | null;
          "id": string;
          "in_app": boolean;
          "link": string | null;
          "org_id": string | null;
          "priority": Database["public"]["Enums"]["notification_priority"];
          "read_at": string | null;
          "title": string;
          "type": string;
          "user_id": string;
        };
        ComputedFields: never;
        Insert: {
          "archived_at"?: string | null;
          "body"?: string;
          "created_at"?: string;
          "data"?: NonNullable<Json>;
          "deliver_at"?: string;
          "email_delivered_at"?: string | null;
          "email_opened_at"?: string | null;
          "email_state"?: string;
          "group_count"?: number;
          "group_key"?: string | null;
          "id"?: string;
          "in_app"?: boolean;
          "link"?: string | null;
          "org_id"?: string | null;
          "priority"?: Database["public"]["Enums"]["notification_priority"];
          "read_at"?: string | null;
          "title": string;
          "type": string;
          "user_id": string;
        };
        Update: {
          "archived_at"?: string | null;
          "body"?: string;
          "created_at"?: string;
          "data"?: NonNullable<Json>;
          "deliver_at"?: string;
          "email_delivered_at"?: string | null;
          "email_opened_at"?: string | null;
          "email_state"?: string;
          "group_count"?: number;
          "group_key"?: string | null;
          "id"?: string;
          "in_app"?: boolean;
          "link"?: string | null;
          "org_id"?: string | null;
          "priority"?: Database["public"]["Enums"]["notification_priority"];
          "read_at"?: string | null;
          "title"?: string;
          "type"?: string;
          "user_id"?: string;
        };
        Relationships: [
          {
            foreignKeyName: "notifications_org_id_fkey";
            columns: ["org_id"];
            isOneToOne: false;
            referencedRelation: "organizations";
            referencedColumns: ["id"];
          },
        ];
      };
      "organizations": {
        Row: {
          "archived_at": string | null;
          "audit_retention_days": number;
          "created_at": string;
          "created_by": string | null;
          "document_retention_days": number;
          "id": string;
          "invitation_ttl_hours": number;
          "name": string;
          "reminder_offsets_minutes": (number)[];
          "require_mfa": boolean;
          "slug": string;
          "updated_at": string;
        };
        ComputedFields: never;
        Insert: {
          "archived_at"?: string | null;
          "audit_retention_days"?: number;
          "created_at"?: string;
          "created_by"?: string | null;
          "document_retention_days"?: number;
          "id"?: string;
          "invitation_ttl_hours"?: number;
          "name": string;
          "reminder_offsets_minutes"?: (number)[];
          "require_mfa"?: boolean;
          "slug": string;
          "updated_at"?: string;
        };
        Update: {
          "archived_at"?: string | null;
          "audit_retention_days"?: number;
          "created_at"?: string;
          "created_by"?: string | null;
          "document_retention_days"?: number;
          "id"?: string;
          "invitation_ttl_hours"?: number;
          "name"?: string;
          "reminder_offsets_minutes"?: (number)[];
          "require_mfa"?: boolean;
          "slug"?: string;
          "updated_at"?: string;
        };
        Relationships: [];
      };
      "permissions": {
        Row: {
          "description": string;
          "key": string;
          "module": string;
        };
        ComputedFields: never;
        Insert: {
          "description": string;
          "key": string;
          "module": string;
        };
        Update: {
          "description"?: string;
          "key"?: string;
          "module"?: string;
        };
        Relationships: [];
      };
      "profiles": {
        Row: {
          "avatar_path": string | null;
          "created_at": string;
          "display_name": string;
          "email": string | null;
          "id": string;
          "locale": string;
          "status": string;
          "time_zone": string;
          "updated_at": string;
        };
        ComputedFields: never;
        Insert: {
          "avatar_path"?: string | null;
          "created_at"?: string;
          "display_name"?: string;
          "email"?: string | null;
          "id": string;
          "locale"?: string;
          "status"?: string;
          "time_zone"?: string;
          "updated_at"?: string;
        };
        Update: {
          "avatar_path"?: string | null;
          "created_at"?: string;
          "display_name"?: string;
          "email"?: string | null;
          "id"?: string;
          "locale"?: string;
          "status"?: string;
          "time_zone"?: string;
          "updated_at"?: string;
        };
        Relationships: [];
      };
      "resources": {
        Row: {
          "active": boolean;
          "buffer_after_minutes": number;
          "buffer_before_minutes": number;
          "created_at": string;
          "hold_minutes": number;
          "id": string;
          "kind": string;
          "max_horizon_days": number;
          "member_user_id": string | null;
          "min_notice_minutes": number;
          "name": string;
          "org_id": string;
          "slot_minutes": number;
          "time_zone": string;
          "updated_at": string;
        };
        ComputedFields: never;
        Insert: {
          "active"?: boolean;
          "buffer_after_minutes"?: number;
          "buffer_before_minutes"?: number;
          "created_at"?: string;
          "hold_minutes"?: number;
          "id"?: string;
          "kind"?: string;
          "max_horizon_days"?: number;
          "member_user_id"?: string | null;
          "min_notice_minutes"?: number;
          "name": string;
          "org_id": string;
          "slot_minutes"?: number;
          "time_zone": string;
          "updated_at"?: string;
        };
        Update: {
          "active"?: boolean;
          "buffer_after_minutes"?: number;
          "buffer_before_minutes"?: number;
          "created_at"?: string;
          "hold_minutes"?: number;
          "id"?: string;
          "kind"?: string;
          "max_horizon_days"?: number;
          "member_user_id"?: string | null;
          "min_notice_minutes"?: number;
          "name"?: string;
          "org_id"?: string;
          "slot_minutes"?: number;
          "time_zone"?: string;
          "updated_at"?: string;
        };
        Relationships: [
          {
            foreignKeyName: "resources_org_id_fkey";
            columns: ["org_id"];
            isOneToOne: false;
            referencedRelation: "organizations";
            referencedColumns: ["id"];
          },
        ];
      };
      "role_permissions": {
        Row: {
          "created_at": string;
          "org_id": string;
          "permission": string;
          "role_id": string;
          "scope": Database["public"]["Enums"]["permission_scope"];
        };
        ComputedFields: never;
        Insert: {
          "created_at"?: string;
          "org_id": string;
          "permission": string;
          "role_id": string;
          "scope": Database["public"]["Enums"]["permission_scope"];
        };
        Update: {
          "created_at"?: string;
          "org_id"?: string;
          "permission"?: string;
          "role_id"?: string;
          "scope"?: Database["public"]["Enums"]["permission_scope"];
        };
        Relationships: [
          {
            foreignKeyName: "role_permissions_permission_fkey";
            columns: ["permission"];
            isOneToOne: false;
            referencedRelation: "permissions";
            referencedColumns: ["key"];
          },
          {
            foreignKeyName: "role_permissions_role_fkey";
            columns: ["org_id", "role_id"];
            isOneToOne: false;
            referencedRelation: "roles";
            referencedColumns: ["org_id", "id"];
          },
          {
            foreignKeyName: "role_permissions_role_id_fkey";
            columns: ["role_id"];
            isOneToOne: false;
            referencedRelation: "roles";
            referencedColumns: ["id"];
          },
        ];
      };
      "roles": {
        Row: {
          "created_at": string;
          "description": string;
          "id": string;
          "is_system": boolean;
          "key": string;
          "name": string;
          "org_id": string;
          "rank": number;
          "updated_at": string;
        };
        ComputedFields: never;
        Insert: {
          "created_at"?: string;
          "description"?: string;
          "id"?: string;
          "is_system"?: boolean;
          "key": string;
          "name": string;
          "org_id": string;
          "rank": number;
          "updated_at"?: string;
        };
        Update: {
          "created_at"?: string;
          "description"?: string;
          "id"?: string;
          "is_system"?: boolean;
          "key"?: string;
          "name"?: string;
          "org_id"?: string;
          "rank"?: number;
          "updated_at"?: string;
        };
        Relationships: [
          {
            foreignKeyName: "roles_org_id_fkey";
            columns: ["org_id"];
            isOneToOne: false;
            referencedRelation: "organizations";
            referencedColumns: ["id"];
          },
        ];
      };
      "time_off": {
        Row: {
          "created_at": string;
          "id": string;
          "org_id": string;
          "period": unknown;
          "reason": string | null;
          "resource_id": string;
        };
        ComputedFields: never;
        Insert: {
          "created_at"?: string;
          "id"?: string;
          "org_id": string;
          "period": unknown;
          "reason"?: string | null;
          "resource_id": string;
        };
        Update: {
          "created_at"?: string;
          "id"?: string;
          "org_id"?: string;
          "period"?: unknown;
          "reason"?: string | null;
          "resource_id"?: string;
        };
        Relationships: [
          {
            foreignKeyName: "time_off_resource_fkey";
            columns: ["org_id", "resource_id"];
            isOneToOne: false;
            referencedRelation: "resources";
            referencedColumns: ["org_id", "id"];
          },
        ];
      };
    };
    Views: {
      "audit_events": {
        Row: {
          "actor_aal": string | null;
          "actor_id": string | null;
          "actor_role": string;
          "id": number;
          "new_record": Json | null;
          "occurred_at": string;
          "old_record": Json | null;
          "operation": string;
          "org_id": string | null;
          "record_id": string | null;
          "request_id": string | null;
          "table_name": string;
          "table_schema": string;
        };
        ComputedFields: never;
        Insert: {
          "actor_aal"?: string | null;
          "actor_id"?: string | null;
          "actor_role"?: string | null;
          "id"?: number | null;
          "new_record"?: Json | null;
          "occurred_at"?: string | null;
          "old_record"?: Json | null;
          "operation"?: string | null;
          "org_id"?: string | null;
          "record_id"?: string | null;
          "request_id"?: string | null;
          "table_name"?: string | null;
          "table_schema"?: string | null;
        };
        Update: {
          "actor_aal"?: string | null;
          "actor_id"?: string | null;
          "actor_role"?: string | null;
          "id"?: number | null;
          "new_record"?: Json | null;
          "occurred_at"?: string | null;
          "old_record"?: Json | null;
          "operation"?: string | null;
          "org_id"?: string | null;
          "record_id"?: string | null;
          "request_id"?: string | null;
          "table_name"?: string | null;
          "table_schema"?: string | null;
        };
        Relationships: [];
      };
    };
    Functions: {
      "change_member_department": {
        Args: { "p_department_id": string; "p_member_id": string };
        Returns: {
          "created_at": string;
          "department_id": string | null;
          "id": string;
          "org_id": string;
          "role_id": string;
          "status": Database["public"]["Enums"]["member_status"];
          "suspended_at": string | null;
          "updated_at": string;
          "user_id": string;
        };
        SetofOptions: {
          from: "*";
          to: "members";
          isOneToOne: true;
          isSetofReturn: false;
        };
      };
      "change_member_role": {
        Args: { "p_member_id": string; "p_role_id": string };
        Returns: {
          "created_at": string;
          "department_id": string | null;
          "id": string;
          "org_id": string;
          "role_id": string;
          "status": Database["public"]["Enums"]["member_status"];
          "suspended_at": string | null;
          "updated_at": string;
          "user_id": string;
        };
        SetofOptions: {
          from: "*";
          to: "members";
          isOneToOne: true;
          isSetofReturn: false;
        };
      };
      "create_organization": {
        Args: { "p_name": string; "p_slug": string };
        Returns: {
          "archived_at": string | null;
          "audit_retention_days": number;
          "created_at": string;
          "created_by": string | null;
          "document_retention_days": number;
          "id": string;
          "invitation_ttl_hours": number;
          "name": string;
          "reminder_offsets_minutes": (number)[];
          "require_mfa": boolean;
          "slug": string;
          "updated_at": string;
        };
        SetofOptions: {
          from: "*";
          to: "organizations";
          isOneToOne: true;
          isSetofReturn: false;
        };
      };
      "reactivate_member": {
        Args: { "p_member_id": string };
        Returns: {
          "created_at": string;
          "department_id": string | null;
          "id": string;
          "org_id": string;
          "role_id": string;
          "status": Database["public"]["Enums"]["member_status"];
          "suspended_at": string | null;
          "updated_at": string;
          "user_id": string;
        };
        SetofOptions: {
          from: "*";
          to: "members";
          isOneToOne: true;
          isSetofReturn: false;
        };
      };
      "remove_member": { Args: { "p_member_id": string }; Returns: undefined };
      "suspend_member": {
        Args: { "p_member_id": string };
        Returns: {
          "created_at": string;
          "department_id": string | null;
          "id": string;
          "org_id": string;
          "role_id": string;
          "status": Database["public"]["Enums"]["member_status"];
          "suspended_at": string | null;
          "updated_at": string;
          "user_id": string;
        };
        SetofOptions: {
          from: "*";
          to: "members";
          isOneToOne: true;
          isSetofReturn: false;
        };
      };
      "transfer_ownership": { Args: { "p_new_owner_member_id": string; "p_org_id": string }; Returns: undefined };
    };
    Enums: {
      "booking_status": "held" | "confirmed" | "cancelled" | "completed" | "no_show";
      "document_version_status": "pending" | "uploaded" | "rejected";
      "invitation_status": "pending" | "accepted" | "declined" | "revoked" | "expired";
      "member_status": "active" | "suspended";
      "notification_channel": "in_app" | "email";
      "notification_digest": "immediate" | "daily";
      "notification_priority": "low" | "normal" | "high" | "urgent";
      "permission_scope": "own" | "department" | "org";
    };
    CompositeTypes: {
      [_ in never]: never;
    };
  };
};

type DatabaseWithoutInternals = Omit<Database, "__InternalSupabase">;

type DefaultSchema = DatabaseWithoutInternals[Extract<keyof Database, "public">];

export type Tables<
  DefaultSchemaTableNameOrOptions extends
    | keyof (DefaultSchema["Tables"] & DefaultSchema["Views"])
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals;
  } ? keyof (
      & DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"]
      & DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Views"]
    )
    : never = never,
> = DefaultSchemaTableNameOrOptions extends { schema: keyof DatabaseWithoutInternals } ? (
    & DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"]
    & DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Views"]
  )[TableName] extends {
    Row: infer R;
  } ? R
  : never
  : DefaultSchemaTableNameOrOptions extends keyof (DefaultSchema["Tables"] & DefaultSchema["Views"])
    ? (DefaultSchema["Tables"] & DefaultSchema["Views"])[DefaultSchemaTableNameOrOptions] extends {
      Row: infer R;
    } ? R
    : never
  : never;

export type TablesInsert<
  DefaultSchemaTableNameOrOptions extends
    | keyof DefaultSchema["Tables"]
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals;
  } ? keyof DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"]
    : never = never,
> = DefaultSchemaTableNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"][TableName] extends {
    Insert: infer I;
  } ? I
  : never
  : DefaultSchemaTableNameOrOptions extends keyof DefaultSchema["Tables"]
    ? DefaultSchema["Tables"][DefaultSchemaTableNameOrOptions] extends {
      Insert: infer I;
    } ? I
    : never
  : never;

export type TablesUpdate<
  DefaultSchemaTableNameOrOptions extends
    | keyof DefaultSchema["Tables"]
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals;
  } ? keyof DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"]
    : never = never,
> = DefaultSchemaTableNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"][TableName] extends {
    Update: infer U;
  } ? U
  : never
  : DefaultSchemaTableNameOrOptions extends keyof DefaultSchema["Tables"]
    ? DefaultSchema["Tables"][DefaultSchemaTableNameOrOptions] extends {
      Update: infer U;
    } ? U
    : never
  : never;

export type Enums<
  DefaultSchemaEnumNameOrOptions extends
    | keyof DefaultSchema["Enums"]
    | { schema: keyof DatabaseWithoutInternals },
  EnumName extends DefaultSchemaEnumNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals;
  } ? keyof DatabaseWithoutInternals[DefaultSchemaEnumNameOrOptions["schema"]]["Enums"]
    : never = never,
> = DefaultSchemaEnumNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? DatabaseWithoutInternals[DefaultSchemaEnumNameOrOptions["schema"]]["Enums"][EnumName]
  : DefaultSchemaEnumNameOrOptions extends keyof DefaultSchema["Enums"]
    ? DefaultSchema["Enums"][DefaultSchemaEnumNameOrOptions]
  : never;

export type CompositeTypes<
  PublicCompositeTypeNameOrOptions extends
    | keyof DefaultSchema["CompositeTypes"]
    | { schema: keyof DatabaseWithoutInternals },
  CompositeTypeName extends PublicCompositeTypeNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals;
  } ? keyof DatabaseWithoutInternals[PublicCompositeTypeNameOrOptions["schema"]]["CompositeTypes"]
    : never = never,
> = PublicCompositeTypeNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? DatabaseWithoutInternals[PublicCompositeTypeNameOrOptions["schema"]]["CompositeTypes"][CompositeTypeName]
  : PublicCompositeTypeNameOrOptions extends keyof DefaultSchema["CompositeTypes"]
    ? DefaultSchema["CompositeTypes"][PublicCompositeTypeNameOrOptions]
  : never;

export const Constants = {
  "compliance": {
    Enums: {
      "contract_status": ["draft", "proposed", "approved", "rejected", "active", "expired", "terminated", "renewed"],
    },
  },
  "public": {
    Enums: {
      "booking_status": ["held", "confirmed", "cancelled", "completed", "no_show"],
      "document_version_status": ["pending", "uploaded", "rejected"],
      "invitation_status": ["pending", "accepted", "declined", "revoked", "expired"],
      "member_status": ["active", "suspended"],
      "notification_channel": ["in_app", "email"],
      "notification_digest": ["immediate", "daily"],
      "notification_priority": ["low", "normal", "high", "urgent"],
      "permission_scope": ["own", "department", "org"],
    },
  },
} as const;
